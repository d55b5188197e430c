import { HttpException } from '@nestjs/common';
import { ZodError } from 'zod';
import { DomainError, HTTP_STATUS_BY_CODE, type ErrorBody, type ErrorCode } from '@harness/contracts';

export interface HttpError {
  status: number;
  body: { error: ErrorBody };
  /** A fault of ours (500): logged with the stack, shown to the client as "internal error" only. */
  unexpected: boolean;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

export const fieldPath = (path: readonly PropertyKey[]): string => (path.length ? path.map(String).join('.') : 'body');

/** zod issues → 400 validation_failed, the message naming the first bad field, every issue in details. */
export function validationError(err: ZodError): DomainError {
  const issues = err.issues.map((i) => ({ path: fieldPath(i.path), message: i.message }));
  const first = issues[0];
  const message = first ? (first.message.startsWith(`${first.path} `) ? first.message : `${first.path}: ${first.message}`) : 'invalid input';
  return new DomainError('validation_failed', message, { issues });
}

const make = (code: ErrorCode, message: string, details?: unknown, unexpected = false): HttpError => ({
  status: HTTP_STATUS_BY_CODE[code],
  body: { error: details === undefined ? { code, message } : { code, message, details } },
  unexpected,
});

/** Any error → the public error shape. Never a stack trace, never an internal message for a 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof DomainError) {
    if (err.code === 'internal') return make('internal', 'internal error', undefined, true);
    return make(err.code, err.message, err.details);
  }
  if (err instanceof ZodError) return toHttpError(validationError(err));
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status];
    if (code) return make(code, status === 404 ? 'not found' : err.message);
    if (status < 500) return { status, body: { error: { code: 'validation_failed', message: err.message } }, unexpected: false };
  }
  return make('internal', 'internal error', undefined, true);
}
