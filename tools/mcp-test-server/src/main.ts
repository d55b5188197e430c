import { startMcpTestServer } from './server.js';

/**
 * CLI: `node dist/main.js` (env MCP_TEST_SERVER_PORT, default 4020; MCP_TEST_SERVER_HOST, default 127.0.0.1;
 * MCP_TEST_SERVER_TOKEN, optional bearer token; MCP_TEST_SERVER_SESSION_IDLE_MS, optional).
 */
async function main(): Promise<void> {
  const rawPort = process.env.MCP_TEST_SERVER_PORT ?? '4020';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(JSON.stringify({ msg: 'invalid MCP_TEST_SERVER_PORT', value: rawPort }));
    process.exit(1);
  }
  const idle = process.env.MCP_TEST_SERVER_SESSION_IDLE_MS;
  const server = await startMcpTestServer({
    port,
    host: process.env.MCP_TEST_SERVER_HOST ?? '127.0.0.1',
    bearerToken: process.env.MCP_TEST_SERVER_TOKEN || undefined,
    sessionIdleMs: idle ? Number(idle) : undefined,
  });
  console.log(JSON.stringify({ msg: 'mcp test server listening', url: server.url }));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => {
        console.log(JSON.stringify({ msg: 'mcp test server stopped', signal }));
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(JSON.stringify({ msg: 'mcp test server failed to start', error: (e as Error)?.message ?? String(e) }));
  process.exit(1);
});
