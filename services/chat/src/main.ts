import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import { CHAT_QUEUE_GROUP, natsConnectOptions, setSubjectNamespace } from '@harness/contracts';
import { loadConfig } from '@harness/config';
import { createDatabase } from '@harness/db';
import { createLogger, installProcessGuards, PinoNestLogger } from '@harness/logging';
import { ActorRegistry } from './conversation/actor-registry.js';

async function main() {
  const config = loadConfig(process.env, 'chat');
  setSubjectNamespace(config.natsNamespace);
  // Imported after the namespace is set: its controllers' message patterns are read when the module is evaluated.
  const { ChatModule } = await import('./chat.module.js');
  const logger = createLogger('chat', config.logLevel, config.prettyLogs);
  installProcessGuards(logger);
  const db = createDatabase(config.databaseUrl, { applicationName: `harness-chat-${config.replicaId}`, max: 20 });
  const nats = await connect({ ...natsConnectOptions(config, 'chat'), name: `harness-chat-${config.replicaId}`, maxReconnectAttempts: -1 });
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ChatModule.forRoot({ config, logger, db, nats }), {
    transport: Transport.NATS,
    options: { ...natsConnectOptions(config, 'chat'), queue: CHAT_QUEUE_GROUP, name: `harness-chat-rpc-${config.replicaId}` },
    logger: new PinoNestLogger(logger),
  });
  const registry = app.get(ActorRegistry);
  await app.listen();
  registry.startReaper();
  logger.info({ replicaId: config.replicaId, llmBaseUrl: config.llm.baseUrl }, 'chat service ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'chat service stopping');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await registry.shutdown();
    await app.close().catch(() => undefined);
    await nats.drain().catch(() => undefined);
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`chat service failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
