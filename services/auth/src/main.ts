import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { natsConnectOptions, setSubjectNamespace } from '@harness/contracts';
import { loadConfig } from '@harness/config';
import { createLogger, installProcessGuards, PinoNestLogger } from '@harness/logging';

/** The auth service over NATS commands: MCP OAuth on the user's behalf (start, complete, status, revoke, access-token), API keys, users and browser sessions. */
async function main() {
  const config = loadConfig(process.env, 'auth');
  setSubjectNamespace(config.natsNamespace);
  // Imported after the namespace is set: its controllers' message patterns are read when the module is evaluated.
  const { AuthModule } = await import('./app.module.js');
  const logger = createLogger('auth', config.logLevel, config.prettyLogs);
  installProcessGuards(logger);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AuthModule.forRoot({ config, logger }), {
    transport: Transport.NATS,
    options: { ...natsConnectOptions(config, 'auth'), queue: 'harness-auth', name: `harness-auth-${config.replicaId}` },
    logger: new PinoNestLogger(logger),
  });
  await app.listen();
  logger.info({ replicaId: config.replicaId }, 'auth service ready');
  const stop = async (signal: string) => {
    logger.info({ signal }, 'auth service stopping');
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`auth service failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
