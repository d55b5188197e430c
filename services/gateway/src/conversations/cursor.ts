import { z } from 'zod';
import { DomainError } from '@harness/contracts';

/** An opaque page cursor: the (createdAt, id) of the last item of the previous page, as base64url JSON. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

const Encoded = z.tuple([z.iso.datetime(), z.uuid()]);

export const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');

export function decodeCursor(raw: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = Encoded.safeParse(parsed);
  if (!r.success) {
    throw new DomainError('validation_failed', 'cursor: not a cursor this API returned', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
  }
  return { createdAt: new Date(r.data[0]), id: r.data[1] };
}
