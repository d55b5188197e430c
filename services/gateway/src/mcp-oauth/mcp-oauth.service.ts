import { Inject, Injectable } from '@nestjs/common';
import { DomainError, HTTP_STATUS_BY_CODE, type ConnectionStatusResult, type StartAuthorizationResult } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { LOGGER } from '../core/tokens.js';
import { AuthCommand, AuthCommands } from './auth-commands.js';
import type { CallbackOutcome } from './callback-page.js';
import type { CallbackQuery } from './mcp-oauth.schemas.js';

/** The MCP OAuth routes' work: each is one command to the auth service, which owns every OAuth step. */
@Injectable()
export class McpOAuth {
  constructor(
    @Inject(AuthCommands) private readonly auth: AuthCommands,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * `binding`: the browser's (see BrowserBinding); only a callback carrying it completes the flow. The cap on flows in
   * flight is the auth service's (it owns the states).
   */
  start(userId: string, serverUrl: string, binding: string): Promise<StartAuthorizationResult> {
    return this.auth.send(AuthCommand.start, { userId, serverUrl, binding });
  }

  status(userId: string, serverUrl: string): Promise<ConnectionStatusResult> {
    return this.auth.send(AuthCommand.status, { userId, serverUrl });
  }

  async revoke(userId: string, serverUrl: string): Promise<void> {
    await this.auth.send(AuthCommand.revoke, { userId, serverUrl });
  }

  /**
   * Completes the flow the `state` names (the state names user, server and verifier; `binding`, the browser's, must
   * be the one it was started with: no user token here). Never throws: the browser gets a page whatever happened,
   * with the HTTP status that fits: 400 when the auth service refused the state (unknown, used, expired, another
   * browser's), 200 when it gave a result (connected, or the authorization server's error).
   */
  async complete(q: CallbackQuery, binding: string | undefined): Promise<{ httpStatus: number; outcome: CallbackOutcome }> {
    try {
      const r = await this.auth.send(AuthCommand.complete, {
        state: q.state,
        ...(binding !== undefined ? { binding } : {}),
        ...(q.code !== undefined ? { code: q.code } : {}),
        ...(q.iss !== undefined ? { iss: q.iss } : {}),
        ...(q.error !== undefined ? { error: q.error } : {}),
        ...(q.error_description !== undefined ? { errorDescription: q.error_description } : {}),
      });
      return {
        httpStatus: r.refused ? 400 : 200,
        outcome: {
          status: r.status,
          serverUrl: r.serverUrl,
          ...(r.message !== undefined ? { message: r.message } : {}),
          ...(r.nonce !== undefined ? { nonce: r.nonce } : {}),
        },
      };
    } catch (err) {
      if (err instanceof DomainError && err.code !== 'internal') {
        return { httpStatus: HTTP_STATUS_BY_CODE[err.code], outcome: { status: 'error', message: err.message } };
      }
      this.logger.error(errorFields(err), 'MCP OAuth callback failed');
      return { httpStatus: 500, outcome: { status: 'error', message: 'internal error' } };
    }
  }
}
