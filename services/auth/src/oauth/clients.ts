import { isHttpsUrl, registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decrypt, encrypt, type OAuthContext } from './context.js';
import type { AuthServerMetadata } from './discovery.js';
import { OAuthRefusal, outboundFailure } from './errors.js';
import { deleteClient, findClient, insertClient } from './store.js';
import { sameIssuer } from './urls.js';
import { serverAllowed, type PreRegisteredClient } from './preregistered.js';

/** The client Harness presents to one authorization server (never to another). */
export interface ResolvedClient {
  issuer: string;
  source: 'preregistered' | 'cimd' | 'dcr';
  info: OAuthClientInformationMixed;
  /** Scopes configured with a pre-registered client (scope fallback for classic OAuth apps). */
  configuredScopes?: string[];
}

/**
 * The pre-registered client for `issuer` that may be used for the MCP server `serverUrl` (its `servers` list names
 * the server or its origin). A client of that issuer not listed for the server is not used: a server could otherwise
 * name e.g. GitHub as its authorization server and receive the tokens Harness obtains with Harness's GitHub app.
 */
export function selectPreRegistered(preRegistered: readonly PreRegisteredClient[], issuer: string, serverUrl: string): PreRegisteredClient | undefined {
  return preRegistered.find((c) => sameIssuer(c.issuer, issuer) && serverAllowed(c, serverUrl));
}

export function findPreRegistered(ctx: OAuthContext, issuer: string, serverUrl: string): PreRegisteredClient | undefined {
  return selectPreRegistered(ctx.preRegistered, issuer, serverUrl);
}

/**
 * Harness must register (DCR) with an authorization server whose metadata advertises no `registration_endpoint`:
 * the refusal to give (a pre-registered client of that issuer not listed for this server gets its own sentence).
 */
export function noRegistrationRefusal(preRegistered: readonly PreRegisteredClient[], issuer: string, serverUrl: string): OAuthRefusal {
  if (preRegistered.some((c) => sameIssuer(c.issuer, issuer))) {
    return new OAuthRefusal(
      `The pre-registered OAuth client for ${issuer} (HARNESS_OAUTH_CLIENTS) is not configured for the MCP server ${serverUrl} (its "servers" do not list it), ` +
        'and that authorization server supports neither Client ID Metadata Documents nor dynamic client registration; refusing to authorize.',
    );
  }
  return new OAuthRefusal(
    `The authorization server ${issuer} supports neither Client ID Metadata Documents nor dynamic client registration, and no pre-registered client (HARNESS_OAUTH_CLIENTS) is configured for ${serverUrl}.`,
  );
}

function fromPreRegistered(issuer: string, c: PreRegisteredClient): ResolvedClient {
  return {
    issuer,
    source: 'preregistered',
    info: {
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
      ...(c.tokenEndpointAuthMethod ? { token_endpoint_auth_method: c.tokenEndpointAuthMethod } : {}),
    },
    configuredScopes: c.scopes,
  };
}

/** The token endpoint auth method to ask for at registration: the first the server supports, in order of strength. */
export function registrationAuthMethod(metadata: AuthServerMetadata | undefined): string | undefined {
  const supported = metadata?.token_endpoint_auth_methods_supported;
  if (!supported?.length) return undefined; // RFC 7591 default (client_secret_basic)
  return ['client_secret_basic', 'client_secret_post', 'none'].find((m) => supported.includes(m));
}

/**
 * The client for an authorization server, in the order the brief and the MCP spec give: a pre-registered client for
 * this issuer listed for this MCP server (`servers`); a client stored for this issuer earlier; a Client ID Metadata Document (client_id = Harness's https
 * URL) when the server advertises `client_id_metadata_document_supported`; else dynamic client registration
 * (RFC 7591) as a web application with one redirect URI. Stored per issuer, the secret encrypted.
 */
export async function resolveClient(
  ctx: OAuthContext,
  opts: { issuer: string; serverUrl: string; authServerUrl: string; metadata: AuthServerMetadata | undefined; scope: string | undefined },
): Promise<ResolvedClient> {
  const pre = findPreRegistered(ctx, opts.issuer, opts.serverUrl);
  if (pre) return fromPreRegistered(opts.issuer, pre);

  const cimdUrl = ctx.settings.clientMetadataUrl;
  const cimdOffered = opts.metadata?.client_id_metadata_document_supported === true && !!cimdUrl && isHttpsUrl(cimdUrl);
  const stored = await findClient(ctx.db.pool, opts.issuer);
  // A stored CIMD client whose URL changed (or is no longer offered) is replaced below.
  if (stored) {
    if (!(stored.source === 'cimd' && (!cimdOffered || stored.clientId !== cimdUrl))) return fromStored(ctx, stored);
    // A CIMD client whose URL changed, or that the server no longer accepts: replaced below.
    await deleteClient(ctx.db.pool, opts.issuer, stored.clientId);
  }

  if (cimdOffered) {
    const row = await insertClient(ctx.db.pool, {
      issuer: opts.issuer, clientId: cimdUrl!, clientSecretEnc: null, tokenEndpointAuthMethod: 'none', source: 'cimd', registration: null,
    });
    return fromStored(ctx, row);
  }

  // Without metadata (2025-03-26 defaults) the SDK registers at `/register`; with metadata it needs the endpoint.
  if (opts.metadata && !opts.metadata.registration_endpoint) throw noRegistrationRefusal(ctx.preRegistered, opts.issuer, opts.serverUrl);

  const authMethod = registrationAuthMethod(opts.metadata);
  const clientMetadata = {
    redirect_uris: [ctx.settings.redirectUrl],
    client_name: ctx.settings.clientName,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    application_type: 'web',
    ...(authMethod ? { token_endpoint_auth_method: authMethod } : {}),
  } as OAuthClientMetadata;
  let registered;
  try {
    registered = await registerClient(opts.authServerUrl, { metadata: opts.metadata, clientMetadata, scope: opts.scope, fetchFn: ctx.fetchFn });
  } catch (err) {
    throw outboundFailure(`Registering Harness with the authorization server ${opts.issuer}`, err);
  }
  const { client_secret: secret, ...publicPart } = registered;
  const row = await insertClient(ctx.db.pool, {
    issuer: opts.issuer,
    clientId: registered.client_id,
    clientSecretEnc: secret ? encrypt(ctx, secret) : null,
    tokenEndpointAuthMethod: registered.token_endpoint_auth_method ?? authMethod ?? null,
    source: 'dcr',
    // The registration response without the secret (the secret is only stored encrypted).
    registration: publicPart,
  });
  return fromStored(ctx, row);
}

function fromStored(ctx: OAuthContext, row: { issuer: string; clientId: string; clientSecretEnc: string | null; tokenEndpointAuthMethod: string | null; source: 'preregistered' | 'cimd' | 'dcr' }): ResolvedClient {
  return {
    issuer: row.issuer,
    source: row.source,
    info: {
      client_id: row.clientId,
      ...(row.clientSecretEnc ? { client_secret: decrypt(ctx, row.clientSecretEnc) } : {}),
      ...(row.tokenEndpointAuthMethod ? { token_endpoint_auth_method: row.tokenEndpointAuthMethod } : {}),
    },
  };
}

/**
 * The client to use at the token or revocation endpoint of `issuer`, which must be the one the authorization was
 * started with (`clientId`): credentials are never presented to another issuer, a re-registered client cannot
 * redeem a code issued to the old one, and a pre-registered client only serves the MCP servers it lists.
 */
export async function clientFor(ctx: OAuthContext, issuer: string, clientId: string, serverUrl: string): Promise<ResolvedClient | undefined> {
  const pre = findPreRegistered(ctx, issuer, serverUrl);
  if (pre && pre.clientId === clientId) return fromPreRegistered(issuer, pre);
  const stored = await findClient(ctx.db.pool, issuer);
  return stored && stored.clientId === clientId ? fromStored(ctx, stored) : undefined;
}
