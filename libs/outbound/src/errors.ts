export type OutboundRefusalCode =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'address_not_allowed'
  | 'dns_failed'
  | 'redirect_not_allowed'
  | 'too_many_redirects'
  | 'body_too_large'
  | 'event_too_large';

/**
 * An outbound URL refused by the SSRF guard. `code` is stable; `message` is safe to show to users (it names the
 * host, never a resolved internal address).
 */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  constructor(
    readonly code: OutboundRefusalCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
