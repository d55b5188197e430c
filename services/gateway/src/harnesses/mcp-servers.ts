import { randomUUID } from 'node:crypto';
import { DomainError, legacyMcpsToServers, type McpServerInput } from '@harness/contracts';
import { encryptSecret, type Keyring } from '@harness/crypto';
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
    const authTokenEnc =
      input.authType !== 'bearer'
        ? null
        : input.authToken !== undefined
          ? encryptSecret(input.authToken, keyring)
          : prior?.authType === 'bearer'
            ? prior.authTokenEnc
            : null;
    return { id: prior?.id ?? randomUUID(), userId, position, name: input.name, url: input.url, authType: input.authType, authTokenEnc };
  });
}
