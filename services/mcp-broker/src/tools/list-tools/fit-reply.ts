import type { McpServerListError, McpToolItem } from '@harness/contracts';

/** Room kept in the reply for its `errors` and the transport's envelope. */
export const REPLY_RESERVE_BYTES = 64 * 1024;

/**
 * A harness's tools travel to chat and the gateway in one NATS reply, which must fit the server's `max_payload`: each
 * server is under the per-server cap, but many of them together need not be. Servers are kept in the harness's order
 * while their tools fit `budgetBytes`; a server that does not fit is left out whole (never half a server's tools) and
 * reported in `errors`, so the model and the user see why.
 */
export function fitReply(
  items: McpToolItem[],
  servers: { id: string; name: string }[],
  budgetBytes: number,
): { items: McpToolItem[]; errors: McpServerListError[] } {
  const byServer = new Map<string, McpToolItem[]>();
  for (const item of items) {
    const list = byServer.get(item.serverId) ?? [];
    list.push(item);
    byServer.set(item.serverId, list);
  }
  const kept: McpToolItem[] = [];
  const errors: McpServerListError[] = [];
  let used = 2;
  for (const server of servers) {
    const tools = byServer.get(server.id);
    if (!tools) continue;
    const bytes = tools.reduce((n, t) => n + Buffer.byteLength(JSON.stringify(t)) + 1, 0);
    if (used + bytes > budgetBytes) {
      errors.push({
        serverId: server.id,
        serverName: server.name,
        message: `the tools of this harness's servers together are larger than ${budgetBytes} bytes; this server's ${tools.length} tools were left out`,
      });
      continue;
    }
    used += bytes;
    kept.push(...tools);
  }
  return { items: kept, errors };
}
