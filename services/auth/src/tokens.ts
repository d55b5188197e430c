export const REPLICA_ID = Symbol('REPLICA_ID');
export const LOGGER = Symbol('LOGGER');
/** The OAuth runtime (config, database, keyring, guarded fetch, pre-registered clients): see oauth/context.ts. */
export const OAUTH_CONTEXT = Symbol('OAUTH_CONTEXT');
