import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { StorableDateTime } from './api.js';
import { UserId } from './commands.js';

/**
 * API keys for programs: `hk_` + 32 random bytes (base64url, 43 characters). Only the key's SHA-256 is stored and sent
 * over NATS (a fast hash is right here: the key has 256 bits of entropy, so nothing can be guessed from its hash;
 * slow password hashes exist for low-entropy secrets). The raw key exists only in the create answer and in the
 * program's requests.
 */
export const API_KEY_PREFIX = 'hk_';
const API_KEY_PATTERN = /^hk_[A-Za-z0-9_-]{43}$/;

export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
export const isApiKey = (value: string): boolean => API_KEY_PATTERN.test(value);
/** Hex SHA-256 of the whole key (prefix included). */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
/** What a list may show of a key: the prefix and its first 4 random characters (not enough to guess the rest). */
export const apiKeyDisplayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 4);

/** The key of `Authorization: Bearer hk_…`, or undefined when the header carries no API key (e.g. a JWT). */
export function apiKeyOfAuthorization(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(hk_\S*)\s*$/i.exec(authorization ?? '');
  return match ? match[1] : undefined;
}

const KeyHash = z.string().regex(/^[0-9a-f]{64}$/);
const KeyId = z.uuid();
const Correlation = { correlationId: z.string().max(200).optional() };
export const ApiKeyName = z.string().trim().min(1).max(100);

/** Creates a key of the user (at most HARNESS_API_KEYS_MAX_PER_USER, else `rate_limited`). */
export const CreateApiKeyCommand = z.object({ userId: UserId, name: ApiKeyName, expiresAt: StorableDateTime.optional(), ...Correlation });
export type CreateApiKeyCommand = z.infer<typeof CreateApiKeyCommand>;
export const CreateApiKeyResult = z.object({ id: KeyId, name: z.string(), key: z.string(), createdAt: z.string(), expiresAt: z.string().nullable() });
export type CreateApiKeyResult = z.infer<typeof CreateApiKeyResult>;

export const ApiKeySummary = z.object({
  id: KeyId,
  name: z.string(),
  /** `hk_` and the first characters of the key, to tell keys apart. */
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export type ApiKeySummary = z.infer<typeof ApiKeySummary>;
/** The user's keys, newest first, keyset-paginated (the cursor is opaque, made by the auth service). */
export const ListApiKeysCommand = z.object({ userId: UserId, limit: z.number().int().min(1).max(100), cursor: z.string().max(500).optional(), ...Correlation });
export type ListApiKeysCommand = z.infer<typeof ListApiKeysCommand>;
export const ListApiKeysResult = z.object({ items: z.array(ApiKeySummary), nextCursor: z.string().nullable() });
export type ListApiKeysResult = z.infer<typeof ListApiKeysResult>;

/** Deletes one of the user's keys; another user's id or an unknown one is `not_found`. */
export const RevokeApiKeyCommand = z.object({ userId: UserId, id: KeyId, ...Correlation });
export type RevokeApiKeyCommand = z.infer<typeof RevokeApiKeyCommand>;
/** `keyHash`: the gateway drops its cached verification of the key at once. */
export const RevokeApiKeyResult = z.object({ keyHash: KeyHash });
export type RevokeApiKeyResult = z.infer<typeof RevokeApiKeyResult>;

/** Is there an unexpired key with this hash? Marks it used (at most about once a minute). */
export const VerifyApiKeyCommand = z.object({ keyHash: KeyHash, ...Correlation });
export type VerifyApiKeyCommand = z.infer<typeof VerifyApiKeyCommand>;
export const VerifyApiKeyResult = z.discriminatedUnion('valid', [
  z.object({ valid: z.literal(true), userId: UserId, keyId: KeyId, expiresAt: z.string().nullable() }),
  z.object({ valid: z.literal(false) }),
]);
export type VerifyApiKeyResult = z.infer<typeof VerifyApiKeyResult>;
