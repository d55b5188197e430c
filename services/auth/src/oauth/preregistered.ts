import { z } from 'zod';

/** One pre-registered OAuth client (HARNESS_OAUTH_CLIENTS), e.g. a GitHub OAuth app. */
export const PreRegisteredClient = z.object({
  issuer: z.url(),
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
