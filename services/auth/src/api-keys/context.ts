import type pg from 'pg';
import type { Logger } from '@harness/logging';
import type { ApiKeySettings } from './store.js';

/** What the API key use cases share (the auth service's pool and clock). */
export interface ApiKeysContext {
  pool: pg.Pool;
  logger: Logger;
  settings: ApiKeySettings;
  now: () => Date;
}
