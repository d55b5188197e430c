import { ApiError } from '../api/client';

/**
 * The AI SDK transport throws `Error(<response body>)` for an HTTP error: the API's JSON error. Returns it as an
 * ApiError, or null when the error is a run's own (an `error` chunk's text) or a network failure.
 */
export function httpErrorOf(e: unknown): ApiError | null {
  if (e instanceof ApiError) return e;
  const text = e instanceof Error ? e.message : '';
  if (!text.startsWith('{')) return null;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (!body.error?.message) return null;
    return new ApiError(0, body.error.code ?? 'error', body.error.message, body.error.details);
  } catch {
    return null;
  }
}

export function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError || (e instanceof Error && /network|failed to fetch|load failed/i.test(e.message));
}
