import { Inject, Injectable } from '@nestjs/common';
import { DomainError, HTTP_STATUS_BY_CODE, type ConnectionStatusResult, type StartAuthorizationResult } from '@harness/contracts';
import type { Config } from '@harness/config';
import type { Database } from '@harness/db';
import { errorFields, type Logger } from '@harness/logging';
import { CONFIG, DATABASE, LOGGER } from '../core/tokens.js';
import { AuthCommand, AuthCommands } from './auth-commands.js';
import type { CallbackOutcome } from './callback-page.js';
import type { CallbackQuery } from './mcp-oauth.schemas.js';
import { assertPendingFlowsBelowCap } from './pending-flows-cap.js';

/** The MCP OAuth routes' work: each is one command to the auth service, which owns every OAuth step. */
@Injectable()
export class McpOAuth {
  constructor(
    @Inject(AuthCommands) private readonly auth: AuthCommands,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async start(userId: string, serverUrl: string): Promise<StartAuthorizationResult> {
    await assertPendingFlowsBelowCap(this.db, userId, this.config.limits.maxPendingOAuthFlowsPerUser);
    return this.auth.send(AuthCommand.start, { userId, serverUrl });
  }

  status(userId: string, serverUrl: string): Promise<ConnectionStatusResult> {
    return this.auth.send(AuthCommand.status, { userId, serverUrl });
  }

  async revoke(userId: string, serverUrl: string): Promise<void> {
    await this.auth.send(AuthCommand.revoke, { userId, serverUrl });
  }

  /**
   * Completes the flow the `state` names (the state binds user, server and verifier: no user token here). Never
   * throws: the browser gets a page whatever happened, with the HTTP status that fits.
   */
  async complete(q: CallbackQuery): Promise<{ httpStatus: number; outcome: CallbackOutcome }> {
    try {
      const r = await this.auth.send(AuthCommand.complete, {
        state: q.state,
        ...(q.code !== undefined ? { code: q.code } : {}),
        ...(q.iss !== undefined ? { iss: q.iss } : {}),
        ...(q.error !== undefined ? { error: q.error } : {}),
        ...(q.error_description !== undefined ? { errorDescription: q.error_description } : {}),
      });
      return {
        httpStatus: 200,
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
