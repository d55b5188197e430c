import { ConfigError, loadConfig } from '@harness/config';
import { createLogger, installProcessGuards } from '@harness/logging';
import { createGatewayApp } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, 'gateway');
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gateway: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger('gateway', config.logLevel, config.prettyLogs);
  installProcessGuards(logger);

  const app = await createGatewayApp(config, { logger });
  // SIGTERM/SIGINT: SSE streams are ended, the HTTP server stops, then NATS, Redis and Postgres are closed.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.gateway.port);
  logger.info({ port: config.gateway.port, replicaId: config.replicaId }, 'gateway listening');
}

main().catch((err) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
