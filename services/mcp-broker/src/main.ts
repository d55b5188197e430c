import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { natsConnectOptions, setSubjectNamespace } from '@harness/contracts';
import { loadConfig } from '@harness/config';
import { createLogger, installProcessGuards, PinoNestLogger } from '@harness/logging';

/** The mcp-broker service: MCP client sessions on behalf of users (tool listing), over NATS commands. */
async function main() {
  const config = loadConfig(process.env, 'mcp-broker');
  setSubjectNamespace(config.natsNamespace);
  // Imported after the namespace is set: its controllers' message patterns are read when the module is evaluated.
  const { McpBrokerModule } = await import('./app.module.js');
  const logger = createLogger('mcp-broker', config.logLevel, config.prettyLogs);
  installProcessGuards(logger);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(McpBrokerModule.forRoot({ config, logger }), {
    transport: Transport.NATS,
    options: { ...natsConnectOptions(config, 'mcp-broker'), queue: 'harness-mcp-broker', name: `harness-mcp-broker-${config.replicaId}` },
    logger: new PinoNestLogger(logger),
  });
  await app.listen();
  logger.info({ replicaId: config.replicaId }, 'mcp-broker service ready');
  const stop = async (signal: string) => {
    logger.info({ signal }, 'mcp-broker service stopping');
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`mcp-broker service failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
