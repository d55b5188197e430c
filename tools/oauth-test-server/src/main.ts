import { startOAuthTestServer } from './server.js';

/**
 * CLI: `node dist/main.js` (env OAUTH_TEST_SERVER_PORT, default 4030; OAUTH_TEST_SERVER_HOST, default 127.0.0.1;
 * OAUTH_TEST_SERVER_ISSUER_PATH, optional, e.g. /oauth; OAUTH_TEST_SERVER_ACCESS_TOKEN_TTL_MS, optional).
 */
async function main(): Promise<void> {
  const rawPort = process.env.OAUTH_TEST_SERVER_PORT ?? '4030';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(JSON.stringify({ msg: 'invalid OAUTH_TEST_SERVER_PORT', value: rawPort }));
    process.exit(1);
  }
  const ttl = process.env.OAUTH_TEST_SERVER_ACCESS_TOKEN_TTL_MS;
  const server = await startOAuthTestServer({
    port,
    host: process.env.OAUTH_TEST_SERVER_HOST ?? '127.0.0.1',
    issuerPath: process.env.OAUTH_TEST_SERVER_ISSUER_PATH || undefined,
    accessTokenTtlMs: ttl ? Number(ttl) : undefined,
  });
  console.log(JSON.stringify({ msg: 'oauth test server listening', url: server.url, issuer: server.issuer }));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => {
        console.log(JSON.stringify({ msg: 'oauth test server stopped', signal }));
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(JSON.stringify({ msg: 'oauth test server failed to start', error: (e as Error)?.message ?? String(e) }));
  process.exit(1);
});
