export const REPLICA_ID = Symbol('REPLICA_ID');
export const CONFIG = Symbol('CONFIG');
export const LOGGER = Symbol('LOGGER');
export const DATABASE = Symbol('DATABASE');
export const KEYRING = Symbol('KEYRING');
export const SESSION_POOL = Symbol('SESSION_POOL');
/** Knobs of the tool listing (tests may shorten them). */
export const LIST_TOOLS_OPTIONS = Symbol('LIST_TOOLS_OPTIONS');
/** Knobs of tool calls (tests may shorten them). */
export const CALL_TOOL_OPTIONS = Symbol('CALL_TOOL_OPTIONS');
/** The auth service's commands (access tokens, step-up authorizations) for OAuth MCP servers. */
export const AUTH_TOKENS = Symbol('AUTH_TOKENS');
/** The NATS client the broker sends the auth service's commands with. */
export const AUTH_CLIENT = Symbol('AUTH_CLIENT');
/** Which running tool call a server's request belongs to (one per replica, shared by the pool and the worker). */
export const CALL_CONTEXTS = Symbol('CALL_CONTEXTS');
/** The broker's own NATS connection for the questions it puts to chat (elicitations). */
export const ELICITATION_NATS = Symbol('ELICITATION_NATS');
/** Knobs of elicitations (timeout, bounds). */
export const ELICITATION_OPTIONS = Symbol('ELICITATION_OPTIONS');
