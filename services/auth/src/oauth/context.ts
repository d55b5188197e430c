import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '@harness/config';
import { createKeyring, decryptSecret, encryptSecret, type Keyring } from '@harness/crypto';
import type { Database } from '@harness/db';
import type { Logger } from '@harness/logging';
import { createOutboundPolicy, guardedFetch, type FetchLike, type OutboundPolicy } from '@harness/outbound';
import { parsePreRegisteredClients, type PreRegisteredClient } from './preregistered.js';

/** What the OAuth use cases share. Built once at boot (tests build their own). */
export interface OAuthContext {
  db: Database;
  keyring: Keyring;
  /** The SSRF-guarded fetch: every outbound call (probe, metadata, registration, token, revocation) goes through it. */
  fetchFn: FetchLike;
  /** The SSRF guard's policy (HARNESS_OUTBOUND_ALLOWLIST): also decides which endpoints may be plain http. */
  outboundPolicy: OutboundPolicy;
  logger: Logger;
  preRegistered: PreRegisteredClient[];
  settings: {
    redirectUrl: string;
    clientMetadataUrl: string | undefined;
    clientName: string;
    stateTtlMs: number;
    /** Authorizations in flight (pending states and starts in progress) one user may have at once. */
    maxPendingPerUser: number;
    refreshSkewMs: number;
  };
  now: () => Date;
}

export function createOAuthContext(config: Config, db: Database, logger: Logger, overrides: Partial<Pick<OAuthContext, 'fetchFn' | 'now'>> = {}): OAuthContext {
  const outboundPolicy = createOutboundPolicy({ allowlist: config.outboundAllowlist });
  return {
    db,
    keyring: createKeyring(config.encryptionKey, config.previousEncryptionKeys),
    // Token and metadata calls are short: a refresh holds a row lock while it waits, bounded well under the pool's
    // idle-in-transaction timeout (30 s) — the whole call, body included (a trickling server cannot pin a pool client),
    // and the body's size (1 MiB, after decoding) too.
    fetchFn: overrides.fetchFn ?? guardedFetch(createOutboundPolicy({ allowlist: config.outboundAllowlist }), { timeoutMs: 15_000, deadlineMs: 15_000, maxBodyBytes: 1024 * 1024 }),
    outboundPolicy,
    logger,
    preRegistered: parsePreRegisteredClients(config.oauth.clientsJson),
    settings: {
      redirectUrl: config.oauth.redirectUrl,
      clientMetadataUrl: config.oauth.clientMetadataUrl,
      clientName: config.oauth.clientName,
      stateTtlMs: config.oauth.stateTtlMs,
      maxPendingPerUser: config.oauth.maxPendingPerUser,
      refreshSkewMs: config.oauth.refreshSkewMs,
    },
    now: overrides.now ?? (() => new Date()),
  };
}

export const encrypt = (ctx: OAuthContext, plaintext: string): string => encryptSecret(plaintext, ctx.keyring);
export const decrypt = (ctx: OAuthContext, ciphertext: string): string => decryptSecret(ciphertext, ctx.keyring);

/** A random value for `state` or a nonce (256 / 128 bits, base64url). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
/** How a state is stored: its sha256 (the plain value exists only in the authorization URL and the callback). */
export const hashState = (state: string): string => createHash('sha256').update(state, 'utf8').digest('hex');
/** How a browser binding is stored: its sha256 (the plain value lives only in the browser's cookie). */
export const hashBinding = hashState;
