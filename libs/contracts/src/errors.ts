import { z } from 'zod';

/** Stable error codes. The gateway maps them to HTTP statuses; workers never throw HTTP exceptions. */
export const ErrorCode = z.enum([
  'validation_failed',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  /** A cookie-authenticated request that changes state came without the app's Origin and `X-Harness-Client: web`. */
  'csrf_failed',
  'not_found',
  'conflict',
  'run_active',
  'nothing_to_regenerate',
  'rate_limited',
  /** The user's month-to-date LLM cost reached their monthly budget: nothing runs until the month ends or an admin raises it. */
  'budget_exceeded',
  'service_unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  run_active: 409,
  nothing_to_regenerate: 409,
  rate_limited: 429,
  budget_exceeded: 429,
  service_unavailable: 503,
  internal: 500,
};

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A domain error with a stable code; safe to show to the client. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
