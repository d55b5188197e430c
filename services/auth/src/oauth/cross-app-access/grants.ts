import { OAuthTokensSchema, type OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@harness/outbound';
import { oneLine } from '../errors.js';
import { XaaFailure, type IdpAuthMethod } from './idp.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string | undefined;
  authMethod: IdpAuthMethod;
}

/** RFC 6749 §2.3.1: id and secret form-urlencoded before they are joined for Basic. */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token request as the client authenticates (the secret in one place only); the answer's JSON, or a failure naming only the error code. */
async function tokenRequest(fetchFn: FetchLike, endpoint: string, client: ClientCredentials, params: Record<string, string>, who: string): Promise<Record<string, unknown>> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.authMethod === 'client_secret_basic' && client.clientSecret) headers.authorization = basic(client.clientId, client.clientSecret);
  else {
    body.set('client_id', client.clientId);
    if (client.authMethod === 'client_secret_post' && client.clientSecret) body.set('client_secret', client.clientSecret);
  }
  let res: Response;
  let json: unknown;
  try {
    res = await fetchFn(endpoint, { method: 'POST', headers, body: body.toString() });
    json = await res.json().catch(() => undefined);
  } catch (err) {
    throw new XaaFailure(`${who} could not be reached: ${oneLine(err instanceof Error ? err.message : String(err), 200)}`);
  }
  const answer = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  if (!res.ok || typeof answer.error === 'string') {
    // Only the error code and its description (bounded): a token endpoint's answer is never logged whole.
    const code = typeof answer.error === 'string' ? oneLine(answer.error, 60) : `HTTP ${res.status}`;
    const description = typeof answer.error_description === 'string' ? `: ${oneLine(answer.error_description, 200)}` : '';
    throw new XaaFailure(`${who} refused (${code}${description})`);
  }
  return answer;
}

/**
 * RFC 8693 token exchange at the enterprise IdP: the user's ID token for an identity assertion grant (ID-JAG) to the
 * MCP server's authorization server (`audience`, its issuer) for the server (`resource`, RFC 8707), authenticated as
 * Harness's login client at that IdP.
 */
export async function exchangeIdToken(
  fetchFn: FetchLike,
  o: { tokenEndpoint: string; client: ClientCredentials; idToken: string; audience: string; resource: string; scope: string | undefined },
): Promise<string> {
  const answer = await tokenRequest(fetchFn, o.tokenEndpoint, o.client, {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: o.idToken,
    subject_token_type: ID_TOKEN_TYPE,
    requested_token_type: ID_JAG_TYPE,
    audience: o.audience,
    resource: o.resource,
    ...(o.scope ? { scope: o.scope } : {}),
  }, 'the token exchange at the IdP');
  if (answer.issued_token_type !== ID_JAG_TYPE || typeof answer.access_token !== 'string' || !answer.access_token) {
    throw new XaaFailure('the IdP answered the token exchange without an ID-JAG');
  }
  return answer.access_token;
}

/** RFC 7523 JWT bearer grant at the MCP server's authorization server: the ID-JAG for an access token, as Harness's client there. */
export async function redeemIdJag(
  fetchFn: FetchLike,
  o: { tokenEndpoint: string; client: ClientCredentials; assertion: string; scope: string | undefined },
): Promise<OAuthTokens> {
  const answer = await tokenRequest(fetchFn, o.tokenEndpoint, o.client, {
    grant_type: JWT_BEARER_GRANT,
    assertion: o.assertion,
    ...(o.scope ? { scope: o.scope } : {}),
  }, 'the JWT bearer grant at the authorization server');
  const parsed = OAuthTokensSchema.safeParse(answer);
  if (!parsed.success) throw new XaaFailure('the authorization server answered the JWT bearer grant without a usable access token');
  return parsed.data;
}
