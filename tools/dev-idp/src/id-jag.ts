import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** An identity assertion grant is short-lived: it is redeemed at once at the authorization server. */
export const ID_JAG_TTL_SECONDS = 300;

/** Per IdP client: the authorization servers (by issuer, the `audience`) that trust this IdP, and the client id the same application has there. */
export type IdJagAudiences = Readonly<Record<string, string>>;

interface ExchangeParams {
  subject_token?: string;
  subject_token_type?: string;
  requested_token_type?: string;
  audience?: string;
  resource?: string;
  scope?: string;
}

/**
 * The enterprise IdP side of Cross-App Access (SEP-990, draft-ietf-oauth-identity-assertion-authz-grant): an RFC 8693
 * token exchange of an ID token this provider issued to the requesting client (signature by its own keys, `iss`, `aud`
 * = that client, unexpired) for an ID-JAG: a JWT of type `oauth-id-jag+jwt` for the requested audience (an
 * authorization server this client is mapped to; any other audience is refused, as an IdP's policy would), with
 * `resource`, `client_id` = the client id at that authorization server, `jti` and a 5-minute `exp`, signed with the
 * provider's signing key (published at its `jwks_uri`).
 */
export function registerIdJagExchange(provider: Provider, signingKey: JWK & { kid: string }, audiencesOf: (clientId: string) => IdJagAudiences | undefined): void {
  const keyPromise = importJWK(signingKey, 'RS256');
  provider.registerGrantType<ExchangeParams>(
    TOKEN_EXCHANGE_GRANT,
    async (ctx) => {
      const { client, params } = ctx.oidc;
      const audiences = audiencesOf(client.clientId);
      if (!audiences) throw new errors.UnauthorizedClient('this client may not use token exchange');
      if (params.subject_token_type !== ID_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
      if (params.requested_token_type !== ID_JAG_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ID_JAG_TYPE}`);
      if (!params.subject_token) throw new errors.InvalidRequest('subject_token is required');
      if (!params.audience) throw new errors.InvalidRequest('audience is required');
      if (!params.resource) throw new errors.InvalidTarget('resource is required');
      const asClientId = Object.hasOwn(audiences, params.audience) ? audiences[params.audience] : undefined;
      if (asClientId === undefined) throw new errors.InvalidTarget('this IdP does not issue grants for that audience');

      let payload: Record<string, unknown>;
      try {
        ({ payload } = await provider.IdToken.validate(params.subject_token, client));
      } catch {
        throw new errors.InvalidGrant('subject_token is not an ID token this provider issued to this client');
      }
      const now = Math.floor(Date.now() / 1000);
      // IdToken.validate ignores the expiry (it serves id_token_hint): an expired ID token proves no current sign-in.
      if (typeof payload.exp !== 'number' || payload.exp <= now) throw new errors.InvalidGrant('subject_token has expired');
      if (typeof payload.sub !== 'string') throw new errors.InvalidGrant('subject_token has no subject');

      const jag = await new SignJWT({ resource: params.resource, client_id: asClientId, ...(params.scope ? { scope: params.scope } : {}) })
        .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'oauth-id-jag+jwt' })
        .setIssuer(provider.issuer)
        .setSubject(payload.sub)
        .setAudience(params.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + ID_JAG_TTL_SECONDS)
        .setJti(randomUUID())
        .sign(await keyPromise);
      ctx.body = {
        access_token: jag,
        issued_token_type: ID_JAG_TYPE,
        token_type: 'N_A',
        expires_in: ID_JAG_TTL_SECONDS,
        ...(params.scope ? { scope: params.scope } : {}),
      };
    },
    ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope'],
  );
}
