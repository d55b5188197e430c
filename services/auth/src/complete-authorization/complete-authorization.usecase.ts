import { Inject, Injectable } from '@nestjs/common';
import type { CompleteAuthorizationCommand, CompleteAuthorizationResult } from '@harness/contracts';
import { withTransaction } from '@harness/db';
import { exchangeAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { checkIssParameter, checkState } from '../oauth/checks.js';
import { clientFor } from '../oauth/clients.js';
import { decrypt, hashBinding, hashState, type OAuthContext } from '../oauth/context.js';
import { oneLine } from '../oauth/errors.js';
import { parseScopes } from '../oauth/scopes.js';
import { clearAttemptsFor, lockState, markStateUsed, upsertConnection, type StateRow } from '../oauth/store.js';
import { toStoredTokens } from '../oauth/tokens.js';
import { OAUTH_CONTEXT } from '../tokens.js';

/**
 * `auth.cmd.complete`: the authorization server sent the browser back. The state is looked up by its hash, locked,
 * checked (known, unused, same user when the gateway names one, bound to the browser the callback came from,
 * unexpired) and used up whatever happens next; then
 * RFC 9207 `iss`, then the server's `error`, then the code is exchanged (PKCE verifier, `resource`, the client bound
 * to this issuer) and the tokens stored encrypted. Failures are answers (`status: "error"` with a sentence for the
 * callback page), not exceptions: the page must always be able to tell its opener.
 */
@Injectable()
export class CompleteAuthorization {
  constructor(@Inject(OAUTH_CONTEXT) private readonly ctx: OAuthContext) {}

  async execute(cmd: CompleteAuthorizationCommand): Promise<CompleteAuthorizationResult> {
    const ctx = this.ctx;
    const stateHash = hashState(cmd.state);
    const checked = await withTransaction(ctx.db.pool, async (tx) => {
      const row = await lockState(tx, stateHash);
      const problem = checkState(row, { now: ctx.now(), userId: cmd.userId, bindingHash: cmd.binding === undefined ? undefined : hashBinding(cmd.binding) });
      // A known state is used up even when rejected (another browser, expired): it can never be replayed.
      if (row && !row.usedAt) await markStateUsed(tx, stateHash, row.userId);
      return { row, problem };
    });
    const { row } = checked;
    if (checked.problem || !row) {
      const refused = checked.problem?.refused ?? 'unknown';
      ctx.logger.warn({ reason: refused, userId: row?.userId, serverUrl: row?.serverUrl }, 'authorization callback rejected');
      // Only this browser's own flow that ran out of time tells its opener (with the nonce); a page for an unknown,
      // replayed, another browser's or another user's state posts nothing: it may be open in a stranger's browser,
      // and after a replay the opener already had its answer.
      return {
        serverUrl: row?.serverUrl ?? '',
        status: 'error',
        message: checked.problem?.message ?? 'Unknown authorization.',
        refused,
        ...(row && refused === 'expired' ? { nonce: row.nonce } : {}),
      };
    }
    const fail = (message: string): CompleteAuthorizationResult => {
      ctx.logger.warn({ userId: row.userId, serverUrl: row.serverUrl, reason: message }, 'authorization failed');
      return { serverUrl: row.serverUrl, status: 'error', message, nonce: row.nonce };
    };

    const issProblem = checkIssParameter({
      advertised: row.authMetadata?.authorization_response_iss_parameter_supported === true,
      iss: cmd.iss,
      expectedIssuer: row.expectedIssuer,
    });
    if (issProblem) return fail(issProblem);
    if (cmd.error) {
      const detail = cmd.errorDescription ? `: ${oneLine(cmd.errorDescription, 300)}` : '';
      return fail(`The authorization server did not authorize Harness (${oneLine(cmd.error, 100)}${detail}).`);
    }
    if (!cmd.code) return fail('The authorization server sent no authorization code.');

    return this.exchange(row, cmd.code, fail);
  }

  private async exchange(row: StateRow, code: string, fail: (m: string) => CompleteAuthorizationResult): Promise<CompleteAuthorizationResult> {
    const ctx = this.ctx;
    const client = await clientFor(ctx, row.expectedIssuer, row.clientId, row.serverUrl);
    if (!client) return fail('The OAuth client this authorization was started with is no longer registered. Start connecting again.');
    let tokens;
    try {
      tokens = await exchangeAuthorization(row.authServerUrl, {
        metadata: row.authMetadata ?? undefined,
        clientInformation: client.info,
        authorizationCode: code,
        codeVerifier: decrypt(ctx, row.codeVerifierEnc),
        redirectUri: row.redirectUri,
        resource: row.resource ?? undefined,
        fetchFn: ctx.fetchFn,
      });
    } catch (err) {
      return fail(`Exchanging the authorization code failed: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    }
    const stored = toStoredTokens(ctx, tokens, row.scopes);
    await upsertConnection(ctx.db.pool, {
      userId: row.userId,
      serverUrl: row.serverUrl,
      resource: row.resource ?? row.serverUrl,
      resourceIndicator: row.resource,
      issuer: row.expectedIssuer,
      authServerUrl: row.authServerUrl,
      authMetadata: row.authMetadata,
      clientId: row.clientId,
      ...stored,
    });
    // The cap is for a server that keeps asking for scopes it never grants; an authorization that was granted every
    // scope it asked for (the response says so explicitly) resets it, so later reconnects are not refused.
    const granted = parseScopes(tokens.scope);
    if (granted.length > 0 && row.scopes.every((scope) => granted.includes(scope))) {
      await clearAttemptsFor(ctx.db.pool, row.userId, row.serverUrl, row.scopeKey);
    }
    ctx.logger.info({ userId: row.userId, serverUrl: row.serverUrl, issuer: row.expectedIssuer, scopes: stored.scopes, refreshable: stored.refreshTokenEnc !== null }, 'connected');
    return { serverUrl: row.serverUrl, status: 'connected', nonce: row.nonce };
  }
}
