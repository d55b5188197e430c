import { DomainError } from '@harness/contracts';
import { OutboundRefusedError } from '@harness/outbound';

/**
 * Why an authorization cannot proceed, in a sentence safe to show the user (no tokens, no secrets, no internal
 * addresses). The server or its authorization server is unusable as configured: `validation_failed`.
 */
export class OAuthRefusal extends DomainError {
  constructor(
    message: string,
    code: 'validation_failed' | 'rate_limited' | 'service_unavailable' | 'not_found' = 'validation_failed',
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
    this.name = 'OAuthRefusal';
  }
}

/** Turns a failed outbound call into a refusal the user can act on (the SSRF guard's message names only the host). */
export function outboundFailure(what: string, err: unknown): OAuthRefusal {
  if (err instanceof OAuthRefusal) return err;
  if (err instanceof OutboundRefusedError) return new OAuthRefusal(`${what}: ${err.message}`);
  const detail = err instanceof Error && err.message ? `: ${oneLine(err.message)}` : '';
  return new OAuthRefusal(`${what} failed${detail}`, 'service_unavailable');
}

/** First line, bounded: error messages from servers end up on a page. */
export const oneLine = (text: string, max = 300): string => {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
};
