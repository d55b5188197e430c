import type pg from 'pg';
import type { Config } from '@harness/config';
import type { Keyring } from '@harness/crypto';
import type { Logger } from '@harness/logging';

export interface SessionSettings {
  maxAgeMs: number;
  idleMs: number;
  maxPerUser: number;
}

/** What the sign-in and session use cases share: the auth service's pool, the keyring of the OAuth tokens, the clock. */
export interface SessionsContext {
  pool: pg.Pool;
  keyring: Keyring;
  logger: Logger;
  settings: SessionSettings;
  now: () => Date;
}

export const sessionSettings = (config: Pick<Config, 'sessions'>): SessionSettings => ({
  maxAgeMs: config.sessions.maxAgeSeconds * 1_000,
  idleMs: config.sessions.idleSeconds * 1_000,
  maxPerUser: config.sessions.maxPerUser,
});
