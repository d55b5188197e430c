import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import type { Config } from '@harness/config';
import { natsConnectOptions } from '@harness/contracts';
import { createKeyring } from '@harness/crypto';
import { createDatabase, type Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import { errorFields, type Logger } from '@harness/logging';
import { ChatCommands } from './chat-commands.js';
import { McpBrokerCommands } from './mcp-broker-commands.js';
import { GatewayMetrics } from './metrics.js';
import { CHAT_CLIENT, CONFIG, DATABASE, GATEWAY_OPTIONS, KEYRING, LOGGER, NATS, REDIS, type GatewayOptions } from './tokens.js';

/** Closes the process-wide connections once the HTTP server has stopped taking requests. */
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([
      this.nats.drain().catch((err) => this.logger.warn(errorFields(err), 'nats drain failed')),
      this.redis.quit().catch(() => this.redis.disconnect()),
      this.db.close(),
    ]);
  }
}

/** The infrastructure every feature uses: config, logger, Postgres, NATS (raw + command client for chat and the mcp-broker), Redis, keyring, metrics. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: Config, logger: Logger, options: GatewayOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ClientsModule.register([
          { name: CHAT_CLIENT, transport: Transport.NATS, options: { ...natsConnectOptions(config, 'gateway'), name: `gateway-commands-${config.replicaId}`, maxReconnectAttempts: -1 } },
        ]),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: GATEWAY_OPTIONS, useValue: options },
        { provide: DATABASE, useFactory: () => createDatabase(config.databaseUrl, { applicationName: 'gateway' }) },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db.pool), inject: [DATABASE] },
        { provide: KEYRING, useValue: createKeyring(config.encryptionKey, config.previousEncryptionKeys) },
        {
          provide: NATS,
          useFactory: () => connect({ ...natsConnectOptions(config, 'gateway'), name: `gateway-live-${config.replicaId}`, maxReconnectAttempts: -1 }),
        },
        {
          provide: REDIS,
          useFactory: () => {
            // No offline queue: a readiness PING fails at once instead of waiting for a reconnect.
            const redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
            redis.on('error', (err) => logger.debug(errorFields(err), 'redis error'));
            redis.connect().catch((err) => logger.warn(errorFields(err), 'redis is not reachable yet'));
            return redis;
          },
        },
        GatewayMetrics,
        ChatCommands,
        McpBrokerCommands,
        ConnectionsCloser,
      ],
      exports: [CONFIG, LOGGER, GATEWAY_OPTIONS, DATABASE, EventStore, KEYRING, NATS, REDIS, GatewayMetrics, ChatCommands, McpBrokerCommands],
    };
  }
}
