import { DomainError } from '@harness/contracts';

/** Seqs are stored as Postgres `integer`: a position past this cannot exist (and would overflow the query). */
export const MAX_SEQ = 2_147_483_647;

const invalid = (field: string) =>
  new DomainError('validation_failed', `${field} must be an integer from 0 to ${MAX_SEQ} (an event seq)`, {
    issues: [{ path: field, message: `must be an integer from 0 to ${MAX_SEQ}` }],
  });

const parseSeq = (raw: string): number | undefined => {
  const trimmed = raw.trim();
  if (!/^\d{1,10}$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return n <= MAX_SEQ ? n : undefined;
};

/**
 * The position a client resumes from: `Last-Event-ID` (what EventSource sends on reconnect) wins over `?after=`.
 * Either must be an integer from 0 to MAX_SEQ (else 400 naming the field). `undefined` when neither is given.
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
