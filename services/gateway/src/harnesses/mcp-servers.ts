import { randomUUID } from 'node:crypto';
import { DomainError, legacyMcpsToServers, type McpServerInput } from '@harness/contracts';
import { encryptSecret, signingAlgOf, SigningKeyError, type Keyring } from '@harness/crypto';
import type { McpServerModel as McpServer } from '@harness/db';

export type ServerRow = Omit<McpServer, 'harnessId'>;

/** The servers a body asks for: `mcpServers`, or the legacy `mcps: string[]` (never both); undefined when neither. */
export function requestedServers(body: { mcpServers?: McpServerInput[]; mcps?: string[] }): McpServerInput[] | undefined {
  if (body.mcpServers !== undefined && body.mcps !== undefined) {
    throw new DomainError('validation_failed', 'mcps: give either mcpServers or the legacy mcps, not both', {
      issues: [{ path: 'mcps', message: 'give either mcpServers or the legacy mcps, not both' }],
    });
  }
  return body.mcpServers ?? (body.mcps ? legacyMcpsToServers(body.mcps) : undefined);
}

/**
 * Rows for a harness's server list. An input with the `id` of one of `existing` keeps that id, and keeps its stored
 * token when it stays `bearer` at the same URL and gives no new token (a stored token never follows a server to a new
 * URL: that would hand it to whoever runs the new one); a token is only ever stored encrypted.
 */
export function serverRows(userId: string, inputs: McpServerInput[], keyring: Keyring, existing: McpServer[] = []): ServerRow[] {
  const byId = new Map(existing.map((s) => [s.id, s]));
  const seen = new Set<string>();
  return inputs.map((input, position) => {
    const prior = input.id === undefined ? undefined : byId.get(input.id);
    if (input.id !== undefined && (!prior || seen.has(input.id))) {
      const message = seen.has(input.id) ? 'the same server id is given twice' : 'no server with this id in this harness';
      throw new DomainError('validation_failed', `mcpServers.${position}.id: ${message}`, {
        issues: [{ path: `mcpServers.${position}.id`, message }],
      });
    }
    if (input.id !== undefined) seen.add(input.id);
    if (input.authType === 'bearer' && input.authToken === undefined && prior?.authType === 'bearer' && prior.url !== input.url) {
      const message = 'authToken is required when the url of a bearer server changes (the stored token is not sent to a new url)';
      throw new DomainError('validation_failed', `mcpServers.${position}.authToken: ${message}`, {
        issues: [{ path: `mcpServers.${position}.authToken`, message }],
      });
    }
    const credentials = clientCredentials(input, position, keyring, prior);
    const authTokenEnc =
      input.authType !== 'bearer'
        ? null
        : input.authToken !== undefined
          ? encryptSecret(input.authToken, keyring)
          : prior?.authType === 'bearer'
            ? prior.authTokenEnc
            : null;
    return { id: prior?.id ?? randomUUID(), userId, position, name: input.name, url: input.url, authType: input.authType, authTokenEnc, ...credentials };
  });
}

const invalid = (position: number, field: string, message: string): DomainError =>
  new DomainError('validation_failed', `mcpServers.${position}.${field}: ${message}`, { issues: [{ path: `mcpServers.${position}.${field}`, message }] });

/**
 * A `client_credentials` server's client: its id, and its secret or private key, encrypted. Without a new secret or
 * key, the stored one is kept when the server keeps its URL and client id (like a bearer token, it never follows
 * the server to another URL, nor to another client). A private key must parse as one Harness can sign with.
 */
function clientCredentials(
  input: McpServerInput, position: number, keyring: Keyring, prior: McpServer | undefined,
): Pick<ServerRow, 'clientId' | 'clientSecretEnc' | 'privateKeyEnc' | 'clientIssuer'> {
  // clientIssuer (the authorization server that accepted the stored credentials, set by the auth service) stays with
  // them, and is cleared when they are entered again: entering them again is how a user accepts a new one.
  if (input.authType !== 'client_credentials') return { clientId: null, clientSecretEnc: null, privateKeyEnc: null, clientIssuer: null };
  const clientId = input.clientId!;
  if (input.privateKeyPem !== undefined) {
    try {
      signingAlgOf(input.privateKeyPem);
    } catch (err) {
      if (err instanceof SigningKeyError) throw invalid(position, 'privateKeyPem', `the key ${err.message}`);
      throw err;
    }
    return { clientId, clientSecretEnc: null, privateKeyEnc: encryptSecret(input.privateKeyPem, keyring), clientIssuer: null };
  }
  if (input.clientSecret !== undefined) return { clientId, clientSecretEnc: encryptSecret(input.clientSecret, keyring), privateKeyEnc: null, clientIssuer: null };
  const keep = prior?.authType === 'client_credentials' && prior.url === input.url && prior.clientId === clientId;
  if (keep && (prior.clientSecretEnc !== null || prior.privateKeyEnc !== null)) {
    return { clientId, clientSecretEnc: prior.clientSecretEnc, privateKeyEnc: prior.privateKeyEnc, clientIssuer: prior.clientIssuer };
  }
  const message = prior?.authType === 'client_credentials'
    ? 'clientSecret or privateKeyPem is required when the url or clientId of a client_credentials server changes (stored credentials are not sent elsewhere)'
    : 'clientSecret or privateKeyPem is required with authType "client_credentials"';
  throw invalid(position, 'clientSecret', message);
}
