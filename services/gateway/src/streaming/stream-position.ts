import { DomainError } from '@harness/contracts';

const invalid = (field: string) =>
  new DomainError('validation_failed', `${field} must be a non-negative integer (an event seq)`, {
    issues: [{ path: field, message: 'must be a non-negative integer' }],
  });

const parseSeq = (raw: string): number | undefined => (/^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : undefined);

/**
 * The position a client resumes from: `Last-Event-ID` (what EventSource sends on reconnect) wins over `?after=`.
 * Either must be a non-negative integer (else 400). `undefined` when neither is given.
 */
export function parsePosition(lastEventId: string | string[] | undefined, after: unknown): number | undefined {
  if (typeof lastEventId === 'string' && lastEventId !== '') {
    const n = parseSeq(lastEventId);
    if (n === undefined) throw invalid('Last-Event-ID');
    return n;
  }
  if (after !== undefined) {
    const n = typeof after === 'string' ? parseSeq(after) : undefined;
    if (n === undefined) throw invalid('after');
    return n;
  }
  return undefined;
}
