import { z } from 'zod';
import { StorableDateTime } from './api.js';
import { DomainError } from './errors.js';

/**
 * Opaque page cursors of every paginated list (the gateway's and the auth service's): the sort key of the last item of
 * the previous page, as base64url JSON; a cursor the API did not make is 400 naming `cursor`.
 */

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode<S extends z.ZodType>(raw: string, schema: S): z.output<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = schema.safeParse(parsed);
  if (!r.success) {
    throw new DomainError('validation_failed', 'cursor: not a cursor this API returned', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
  }
  return r.data;
}

/** Conversations and harnesses (newest first): (createdAt, id). */
export interface Cursor {
  createdAt: Date;
  id: string;
}
const Encoded = z.tuple([StorableDateTime, z.uuid()]);
export const encodeCursor = (c: Cursor): string => encode([c.createdAt.toISOString(), c.id]);
export function decodeCursor(raw: string): Cursor {
  const [createdAt, id] = decode(raw, Encoded);
  return { createdAt: new Date(createdAt), id };
}

/** Messages (oldest first): the first_seq of the last message (a Postgres integer). */
const SeqEncoded = z.tuple([z.literal('seq'), z.number().int().nonnegative().max(2_147_483_647)]);
export const encodeSeqCursor = (seq: number): string => encode(['seq', seq]);
export const decodeSeqCursor = (raw: string): number => decode(raw, SeqEncoded)[1];

/** Queue items (queue order): (position, id). */
const PositionEncoded = z.tuple([z.literal('pos'), z.number().int().min(-2_147_483_648).max(2_147_483_647), z.uuid()]);
export const encodePositionCursor = (position: number, id: string): string => encode(['pos', position, id]);
export function decodePositionCursor(raw: string): { position: number; id: string } {
  const [, position, id] = decode(raw, PositionEncoded);
  return { position, id };
}

/** Tools (by name): the name of the last tool. */
const NameEncoded = z.tuple([z.literal('name'), z.string().min(1).max(300)]);
export const encodeNameCursor = (name: string): string => encode(['name', name]);
export const decodeNameCursor = (raw: string): string => decode(raw, NameEncoded)[1];
