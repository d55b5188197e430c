import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DomainError, type McpAuthRequired } from '@harness/contracts';
import { decryptSecret, type Keyring } from '@harness/crypto';
import { errorFields, type Logger } from '@harness/logging';
import { CredentialRefusedError } from '../sessions/credential-refused-error.js';
import type { SessionKey } from '../sessions/session-key.js';
import { SessionPool } from '../sessions/session-pool.js';
import { AUTH_TOKENS, KEYRING, LOGGER, SESSION_POOL } from '../tokens.js';
import { AuthUnavailableError, type AuthTokens } from './auth-client.js';
import { parseBearerChallenge } from './www-authenticate.js';

/** An MCP server of a harness, as stored. */
export interface ServerRow {
  id: string;
  name: string;
  url: string;
  auth_type: string;
  auth_token_enc: string | null;
  /** `client_credentials`: the client id (its secret or key stays with the auth service, which reads the row). */
  client_id?: string | null;
}

/**
 * The server cannot be used with the user's credential: no token stored, or (OAuth) the user must connect their
 * account first — then `authRequired` says where.
 */
export class ServerAccessError extends Error {
  override readonly name = 'ServerAccessError';

  constructor(
    message: string,
    readonly authRequired?: McpAuthRequired,
    /** Why the user must connect (expired, more scopes needed…), for the tool call's error text. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** What a session with the server is opened with; `key.credentialVersion` changes whenever the credential does. */
export interface Credential {
  key: SessionKey;
  headers: Record<string, string>;
  /** OAuth and client credentials: the auth service's version of the stored token, sent back when the server refuses it. */
  oauthVersion?: number;
}

/** The listing's wording for an OAuth server the user has not connected. */
export const OAUTH_NEEDED = 'this server needs the user to connect (OAuth)';

/** A refusal a new service token may cure: 401, or 403 for want of scope. */
const renewable = (err: CredentialRefusedError): boolean =>
  err.status === 401 || (err.status === 403 && parseBearerChallenge(err.wwwAuthenticate).error === 'insufficient_scope');

const tokenVersion = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16);

/**
 * Opens (or reuses) the user's pooled session on a server with the right credential and runs `fn` on it.
 *
 * - `none`: no header; `bearer`: the stored token (decrypted here, never carried in a job).
 * - `oauth`: the auth service gives a usable access token (it refreshes ahead of expiry). The session key's credential
 *   version is a hash of the token, so a new token gets a new session. A 401 (at connect or mid-session) asks the auth
 *   service again with `rejected: true` and the challenge (it refreshes once), then retries once with the new token;
 *   a 403 `insufficient_scope` starts a step-up authorization for the challenged scope. When the user must connect,
 *   a ServerAccessError with `authRequired` (the authorization URL when one could be started).
 */
@Injectable()
export class ServerAccess {
  constructor(
    @Inject(KEYRING) private readonly keyring: Keyring,
    @Inject(AUTH_TOKENS) private readonly auth: AuthTokens,
    @Inject(SESSION_POOL) private readonly pool: SessionPool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `credential`: one `credential()` gave for this server just before (else it is asked for now). */
  async run<T>(userId: string, server: ServerRow, fn: (client: Client) => Promise<T>, given?: Credential): Promise<T> {
    const credential = given ?? (await this.credential(userId, server));
    if (server.auth_type === 'client_credentials') return this.runAsService(userId, server, fn, credential);
    try {
      return await this.pool.call(credential.key, async () => credential.headers, fn);
    } catch (err) {
      if (server.auth_type !== 'oauth' || !(err instanceof CredentialRefusedError)) throw err;
      if (err.status === 403) throw await this.forbidden(userId, server, err);
      this.logger.info({ serverId: server.id, serverUrl: server.url }, 'MCP server refused the access token; asking the auth service again');
      const renewed = await this.oauthCredential(userId, server, {
        rejected: true,
        wwwAuthenticate: err.wwwAuthenticate,
        ...(credential.oauthVersion !== undefined ? { rejectedVersion: credential.oauthVersion } : {}),
      });
      if (renewed.key.credentialVersion === credential.key.credentialVersion) {
        throw await this.connectPrompt(userId, server, err.wwwAuthenticate, 'it refused the current token');
      }
      try {
        return await this.pool.call(renewed.key, async () => renewed.headers, fn);
      } catch (again) {
        if (!(again instanceof CredentialRefusedError)) throw again;
        if (again.status === 403) throw await this.forbidden(userId, server, again);
        throw await this.connectPrompt(userId, server, again.wwwAuthenticate, 'it refused the refreshed token');
      }
    }
  }

  /** The user's current credential for the server (OAuth: asks the auth service); ServerAccessError when there is none. */
  async credential(userId: string, server: ServerRow): Promise<Credential> {
    const key = (credentialVersion: string): SessionKey => ({ userId, serverUrl: server.url, credentialVersion });
    switch (server.auth_type) {
      case 'none':
        return { key: key('none'), headers: {} };
      case 'bearer': {
        if (!server.auth_token_enc) throw new ServerAccessError('no token is stored for this server');
        let token: string;
        try {
          token = decryptSecret(server.auth_token_enc, this.keyring);
        } catch {
          throw new ServerAccessError('the stored token for this server could not be decrypted');
        }
        return { key: key(tokenVersion(server.auth_token_enc)), headers: { Authorization: `Bearer ${token}` } };
      }
      case 'oauth':
        return this.oauthCredential(userId, server, {});
      case 'client_credentials':
        return this.serviceCredential(userId, server, {});
      default:
        throw new ServerAccessError(`unsupported auth type ${JSON.stringify(server.auth_type)}`);
    }
  }

  private async oauthCredential(
    userId: string,
    server: ServerRow,
    opts: { rejected?: boolean; wwwAuthenticate?: string; rejectedVersion?: number },
  ): Promise<Credential> {
    let answer;
    try {
      answer = await this.auth.accessToken({
        userId,
        serverUrl: server.url,
        ...(opts.rejected ? { rejected: true } : {}),
        // Several calls refused at once: only the first refreshes, the others get the token it stored.
        ...(opts.rejectedVersion !== undefined ? { rejectedVersion: opts.rejectedVersion } : {}),
        ...(opts.wwwAuthenticate ? { wwwAuthenticate: opts.wwwAuthenticate.slice(0, 8_000) } : {}),
      });
    } catch (err) {
      throw this.authFailure(server, err);
    }
    if (answer.status !== 'connected') {
      const reason = answer.status === 'expired' ? 'the connection expired' : answer.status === 'error' ? answer.message : undefined;
      throw new ServerAccessError(OAUTH_NEEDED, { serverUrl: server.url, ...(answer.authorizationUrl ? { authorizationUrl: answer.authorizationUrl } : {}) }, reason);
    }
    // The token is never logged; the version is a hash of it, so a refreshed token opens a new session.
    return {
      key: { userId, serverUrl: server.url, credentialVersion: `oauth:${tokenVersion(answer.accessToken)}` },
      headers: { Authorization: `Bearer ${answer.accessToken}` },
      oauthVersion: answer.version,
    };
  }

  /**
   * A server with a service identity: a 401, or a 403 `insufficient_scope`, asks the auth service for a new token
   * (with the challenge: its scope is added) and retries once. No user can connect anything here: a second refusal,
   * or no token, is an error naming the cause (the credentials, the scope), for the listing or the tool call.
   */
  private async runAsService<T>(userId: string, server: ServerRow, fn: (client: Client) => Promise<T>, credential: Credential): Promise<T> {
    try {
      return await this.pool.call(credential.key, async () => credential.headers, fn);
    } catch (err) {
      if (!(err instanceof CredentialRefusedError) || !renewable(err)) throw err;
      this.logger.info({ serverId: server.id, serverUrl: server.url, status: err.status }, 'MCP server refused the service token; asking the auth service for a new one');
      const renewed = await this.serviceCredential(userId, server, {
        rejected: true,
        ...(err.wwwAuthenticate ? { wwwAuthenticate: err.wwwAuthenticate.slice(0, 8_000) } : {}),
        ...(credential.oauthVersion !== undefined ? { rejectedVersion: credential.oauthVersion } : {}),
      });
      if (renewed.key.credentialVersion === credential.key.credentialVersion) throw new ServerAccessError(`the server refused the service token (HTTP ${err.status})`);
      try {
        return await this.pool.call(renewed.key, async () => renewed.headers, fn);
      } catch (again) {
        if (again instanceof CredentialRefusedError) throw new ServerAccessError(`the server refused a new service token too (HTTP ${again.status})`);
        throw again;
      }
    }
  }

  private async serviceCredential(userId: string, server: ServerRow, opts: { rejected?: boolean; wwwAuthenticate?: string; rejectedVersion?: number }): Promise<Credential> {
    let answer;
    try {
      answer = await this.auth.clientCredentialsToken({ userId, serverId: server.id, ...opts });
    } catch (err) {
      throw this.authFailure(server, err);
    }
    if (answer.status !== 'connected') throw new ServerAccessError(answer.message.slice(0, 500));
    return {
      key: { userId, serverUrl: server.url, credentialVersion: `cc:${tokenVersion(answer.accessToken)}` },
      headers: { Authorization: `Bearer ${answer.accessToken}` },
      oauthVersion: answer.version,
    };
  }

  /** A 403: with `insufficient_scope`, a step-up authorization for the challenged scope; otherwise the call's own error. */
  private async forbidden(userId: string, server: ServerRow, err: CredentialRefusedError): Promise<Error> {
    const challenge = parseBearerChallenge(err.wwwAuthenticate);
    if (challenge.error !== 'insufficient_scope') return err;
    const scope = challenge.scope?.trim() || undefined;
    let authorizationUrl: string | undefined;
    try {
      const started = await this.auth.start({
        userId,
        serverUrl: server.url,
        ...(scope ? { scope: scope.slice(0, 2_000) } : {}),
        ...(err.wwwAuthenticate ? { wwwAuthenticate: err.wwwAuthenticate.slice(0, 8_000) } : {}),
      });
      // `connected` at once (Cross-App Access): no URL to offer; the next call uses the new token.
      authorizationUrl = 'authorizationUrl' in started ? started.authorizationUrl : undefined;
    } catch (startErr) {
      this.logger.warn({ serverId: server.id, serverUrl: server.url, ...errorFields(startErr) }, 'could not start a step-up authorization');
    }
    return new ServerAccessError(
      OAUTH_NEEDED,
      { serverUrl: server.url, ...(authorizationUrl ? { authorizationUrl } : {}) },
      scope ? `it needs more access (scope ${scope})` : 'it needs more access',
    );
  }

  /** Still unauthorized after a refresh: a fresh authorization for the user. */
  private async connectPrompt(userId: string, server: ServerRow, wwwAuthenticate: string | undefined, reason: string): Promise<ServerAccessError> {
    let authorizationUrl: string | undefined;
    try {
      const started = await this.auth.start({
        userId,
        serverUrl: server.url,
        ...(wwwAuthenticate ? { wwwAuthenticate: wwwAuthenticate.slice(0, 8_000) } : {}),
      });
      // `connected` at once (Cross-App Access): no URL to offer; the next call uses the new token.
      authorizationUrl = 'authorizationUrl' in started ? started.authorizationUrl : undefined;
    } catch (err) {
      this.logger.warn({ serverId: server.id, serverUrl: server.url, ...errorFields(err) }, 'could not start an authorization');
    }
    return new ServerAccessError(OAUTH_NEEDED, { serverUrl: server.url, ...(authorizationUrl ? { authorizationUrl } : {}) }, reason);
  }

  private authFailure(server: ServerRow, err: unknown): ServerAccessError {
    this.logger.warn({ serverId: server.id, serverUrl: server.url, ...errorFields(err) }, 'could not get an access token');
    if (err instanceof AuthUnavailableError) return new ServerAccessError('could not get an access token for this server: the auth service did not answer');
    if (err instanceof DomainError) return new ServerAccessError(`could not get an access token for this server: ${err.message}`.slice(0, 500));
    return new ServerAccessError('could not get an access token for this server');
  }
}
