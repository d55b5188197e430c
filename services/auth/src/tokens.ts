export const REPLICA_ID = Symbol('REPLICA_ID');
export const LOGGER = Symbol('LOGGER');
/** The OAuth runtime (config, database, keyring, guarded fetch, pre-registered clients): see oauth/context.ts. */
export const OAUTH_CONTEXT = Symbol('OAUTH_CONTEXT');
/** The API key use cases' pool, clock and cap: see api-keys/context.ts. */
export const API_KEYS_CONTEXT = Symbol('API_KEYS_CONTEXT');
/** The sign-in and session use cases' pool, keyring, clock and limits: see sessions/context.ts. */
export const SESSIONS_CONTEXT = Symbol('SESSIONS_CONTEXT');
/** Cross-App Access (SEP-990): see oauth/cross-app-access/connect.ts. */
export const CROSS_APP_ACCESS = Symbol('CROSS_APP_ACCESS');
