import { z } from 'zod';
import { UserId } from './commands.js';

/**
 * Commands of the auth service (MCP OAuth on the user's behalf). Connections belong to (user, MCP server URL); the
 * server URL is the canonical resource URI (RFC 8707) the tokens are for.
 */
const ServerUrl = z.url().max(2_048);
const Correlation = { correlationId: z.string().max(200).optional() };
/**
 * What ties an authorization to the browser that started it: an opaque value the gateway keeps in the browser (today
 * the `harness_oauth_binding` cookie; later the signed-in session). Stored only as its sha256.
 */
const Binding = z.string().min(1).max(200);

/** Starts (or steps up) an authorization: discovery, registration, PKCE and a single-use state. */
export const StartAuthorizationCommand = z.object({
  userId: UserId,
  serverUrl: ServerUrl,
  /** Scopes a 403 `insufficient_scope` challenge asked for: requested together with those granted before. */
  scope: z.string().max(2_000).optional(),
  /** `WWW-Authenticate` of the MCP server's 401/403, when the broker got one (its `resource_metadata` is used first). */
  wwwAuthenticate: z.string().max(8_000).optional(),
  /**
   * The browser's binding (the gateway's start): only a callback carrying it completes the authorization. A pending
   * authorization of the user for the server that is unbound (the broker's reconnect prompts) or has this binding is
   * handed out again (and bound). Without one (the broker) the state is unbound: its callback is refused until a start
   * with a binding hands it out.
   */
  binding: Binding.optional(),
  ...Correlation,
});
export type StartAuthorizationCommand = z.infer<typeof StartAuthorizationCommand>;
export const StartAuthorizationResult = z.union([
  z.object({
    authorizationUrl: z.string(),
    /** The callback page posts it back with its message; the opener accepts only a message carrying it. */
    nonce: z.string(),
  }),
  /** Connected at once, without a consent screen: Cross-App Access with the user's enterprise IdP session (SEP-990). */
  z.object({ status: z.literal('connected'), serverUrl: z.string() }),
]);
export type StartAuthorizationResult = z.infer<typeof StartAuthorizationResult>;

/** The authorization server redirected the browser to Harness's callback; `state` names the user and server. */
export const CompleteAuthorizationCommand = z.object({
  state: z.string().max(2_000),
  /** The signed-in user at the callback, when the gateway knows one: the state must have been started by this user. */
  userId: UserId.optional(),
  code: z.string().max(8_000).optional(),
  iss: z.string().max(2_048).optional(),
  error: z.string().max(500).optional(),
  errorDescription: z.string().max(2_000).optional(),
  /** The binding the browser carried to the callback (its cookie): must be the one the state was bound to. */
  binding: Binding.optional(),
  ...Correlation,
});
export type CompleteAuthorizationCommand = z.infer<typeof CompleteAuthorizationCommand>;
export const CompleteAuthorizationResult = z.object({
  serverUrl: z.string(),
  status: z.enum(['connected', 'error']),
  /** What went wrong, for the callback page (a clear sentence, no secrets). */
  message: z.string().optional(),
  /** Present only when the page may tell its opener: the state was this browser's (see docs/oauth.md). */
  nonce: z.string().optional(),
  /**
   * Why the callback was refused before anything else was looked at (the gateway answers 400): the state is unknown,
   * already used, expired, another user's, or bound to another browser (or to none).
   */
  refused: z.enum(['unknown', 'used', 'expired', 'other_user', 'other_browser']).optional(),
});
export type CompleteAuthorizationResult = z.infer<typeof CompleteAuthorizationResult>;

export const OAuthStatus = z.enum(['connected', 'disconnected', 'expired', 'error']);
export const ConnectionStatusCommand = z.object({ userId: UserId, serverUrl: ServerUrl, ...Correlation });
export type ConnectionStatusCommand = z.infer<typeof ConnectionStatusCommand>;
export const ConnectionStatusResult = z.object({
  status: OAuthStatus,
  scopes: z.array(z.string()).optional(),
  expiresAt: z.string().optional(),
});
export type ConnectionStatusResult = z.infer<typeof ConnectionStatusResult>;

/** Revokes at the authorization server (RFC 7009 where supported) and deletes the stored tokens. */
export const RevokeConnectionCommand = z.object({ userId: UserId, serverUrl: ServerUrl, ...Correlation });
export type RevokeConnectionCommand = z.infer<typeof RevokeConnectionCommand>;
export const RevokeConnectionResult = z.object({ revoked: z.boolean() });
export type RevokeConnectionResult = z.infer<typeof RevokeConnectionResult>;

/**
 * The broker asks for a usable access token before talking to an OAuth MCP server. `rejectedToken: true` means the
 * server answered 401 to the token it was given: refresh once (one refresh at a time across replicas) or report that
 * the user must connect.
 */
export const GetAccessTokenCommand = z.object({
  userId: UserId,
  serverUrl: ServerUrl,
  rejected: z.boolean().optional(),
  /** The `version` of the token that was rejected (from an earlier reply): a newer stored token is returned without refreshing again. */
  rejectedVersion: z.number().int().optional(),
  wwwAuthenticate: z.string().max(8_000).optional(),
  ...Correlation,
});
export type GetAccessTokenCommand = z.infer<typeof GetAccessTokenCommand>;
export const GetAccessTokenResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('connected'), accessToken: z.string(), tokenType: z.string(), expiresAt: z.string().optional(), version: z.number().int() }),
  z.object({
    status: z.enum(['disconnected', 'expired', 'error']),
    /** Where the user connects (a fresh authorization), when one could be started. */
    authorizationUrl: z.string().optional(),
    message: z.string(),
  }),
]);
export type GetAccessTokenResult = z.infer<typeof GetAccessTokenResult>;

/**
 * The broker asks for a service-identity token before talking to an MCP server of `authType: "client_credentials"`:
 * the auth service reads the server's client (id and encrypted secret or key) from the harness owner's server row,
 * so no secret crosses NATS. `rejected: true`: the server answered 401 (or 403 `insufficient_scope`, with its
 * challenge) to the token of `rejectedVersion`; a new one is requested (the challenge's scope added).
 */
export const ClientCredentialsTokenCommand = z.object({
  userId: UserId,
  serverId: z.uuid(),
  rejected: z.boolean().optional(),
  rejectedVersion: z.number().int().optional(),
  wwwAuthenticate: z.string().max(8_000).optional(),
  ...Correlation,
});
export type ClientCredentialsTokenCommand = z.infer<typeof ClientCredentialsTokenCommand>;
export const ClientCredentialsTokenResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('connected'), accessToken: z.string(), tokenType: z.string(), expiresAt: z.string().optional(), version: z.number().int() }),
  /** No token: why, in a sentence for the tool call's error (the credentials are wrong, the server is unusable…). */
  z.object({ status: z.literal('error'), message: z.string() }),
]);
export type ClientCredentialsTokenResult = z.infer<typeof ClientCredentialsTokenResult>;
