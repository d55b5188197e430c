import { z } from 'zod';

const ServerEntry = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL or origin of an MCP server' })
  .refine((u) => !URL.canParse(u) || !new URL(u).hash, 'must not have a fragment');

/** One pre-registered OAuth client (HARNESS_OAUTH_CLIENTS), e.g. a GitHub OAuth app. */
export const PreRegisteredClient = z.object({
  issuer: z.url(),
  /**
   * Required: the MCP servers this client may be used for. An origin (`https://mcp.example.com`, no path) allows every
   * server at that origin; a URL with a path allows exactly that server URL (canonical form, see `serverAllowed`).
   */
  servers: z
    .array(ServerEntry, { error: 'required: a non-empty array of the MCP server URLs or origins this client may be used for' })
    .min(1, 'required: a non-empty array of the MCP server URLs or origins this client may be used for')
    .max(1_000),
  clientId: z.string().min(1).max(2_000),
  clientSecret: z.string().min(1).max(4_000).optional(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
  scopes: z.array(z.string().min(1).max(200)).max(100).optional(),
});
export type PreRegisteredClient = z.infer<typeof PreRegisteredClient>;
const PreRegisteredClients = z.array(PreRegisteredClient).max(1_000);

/**
 * Parses and validates HARNESS_OAUTH_CLIENTS once, at boot: a bad value stops the service with a message naming the
 * entry and field (never the secret).
 */
export function parsePreRegisteredClients(json: string | undefined): PreRegisteredClient[] {
  if (!json?.trim()) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('HARNESS_OAUTH_CLIENTS is not valid JSON');
  }
  const parsed = PreRegisteredClients.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`HARNESS_OAUTH_CLIENTS is invalid:\n${issues}`);
  }
  const seen = new Set<string>();
  for (const c of parsed.data) {
    if (seen.has(c.issuer)) throw new Error(`HARNESS_OAUTH_CLIENTS names issuer ${c.issuer} twice`);
    seen.add(c.issuer);
  }
  return parsed.data;
}

/**
 * Whether a pre-registered client may be used for an MCP server. Each `servers` entry is compared with the canonical
 * server URL (scheme and host lower-cased, default port dropped, fragment dropped — `new URL(...).href`): an entry
 * that is an origin (its path `/` and no query, e.g. `https://api.example.com`) matches every server with that origin;
 * any other entry matches only that exact server URL.
 */
export function serverAllowed(client: Pick<PreRegisteredClient, 'servers'>, serverUrl: string): boolean {
  const server = new URL(serverUrl);
  server.hash = '';
  return client.servers.some((entry) => {
    const allowed = new URL(entry);
    allowed.hash = '';
    if (allowed.pathname === '/' && !allowed.search) return allowed.origin === server.origin;
    return allowed.href === server.href;
  });
}
