export type SessionPoolErrorCode = 'pool_exhausted' | 'server_backoff' | 'pool_closed' | 'user_session_limit';

export class SessionPoolError extends Error {
  override readonly name = 'SessionPoolError';

  constructor(
    readonly code: SessionPoolErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
