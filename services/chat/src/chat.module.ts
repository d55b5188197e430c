import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import OpenAI from 'openai';
import type { Config } from '@harness/config';
import { natsConnectOptions } from '@harness/contracts';
import type { Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import type { Logger } from '@harness/logging';
import { ActorRegistry } from './conversation/actor-registry.js';
import { LeaseRepository } from './conversation/lease-repository.js';
import { LivePublisher } from './conversation/live-publisher.js';
import { loadPriceCatalogue } from './llm/price-catalogue.js';
import { PriceBook } from './llm/pricing.js';
import { BudgetStore } from './budgets/budget-store.js';
import { CONFIG, DATABASE, LOGGER, NATS } from './infra/tokens.js';
import { brokerTools } from './run/broker-tool-executor.js';
import { UsageBackfill } from './run/usage-backfill.js';
import { DeleteConversationController } from './use-cases/delete-conversation/delete-conversation.controller.js';
import { HealthController } from './use-cases/health/health.controller.js';
import { InterruptController } from './use-cases/interrupt/interrupt.controller.js';
import { RegenerateController } from './use-cases/regenerate/regenerate.controller.js';
import { RemoveQueueItemController } from './use-cases/remove-queue-item/remove-queue-item.controller.js';
import { SendMessageController } from './use-cases/send-message/send-message.controller.js';
import { SendNowController } from './use-cases/send-now/send-now.controller.js';
import { ResetBudgetController } from './use-cases/reset-budget/reset-budget.controller.js';
import { SetBudgetController } from './use-cases/set-budget/set-budget.controller.js';

export interface ChatRuntime {
  config: Config;
  logger: Logger;
  db: Database;
  nats: NatsConnection;
}

const MCP_BROKER = Symbol('MCP_BROKER');

/** Closes the mcp-broker NATS client when the service stops. */
class BrokerClientCloser implements OnApplicationShutdown {
  constructor(@Inject(MCP_BROKER) private readonly client: ClientProxy) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

@Module({})
export class ChatModule {
  static forRoot(rt: ChatRuntime): DynamicModule {
    return {
      module: ChatModule,
      controllers: [
        SendMessageController, InterruptController, RemoveQueueItemController, SendNowController, RegenerateController,
        DeleteConversationController, HealthController, SetBudgetController, ResetBudgetController,
      ],
      providers: [
        { provide: CONFIG, useValue: rt.config },
        { provide: LOGGER, useValue: rt.logger },
        { provide: DATABASE, useValue: rt.db },
        { provide: NATS, useValue: rt.nats },
        {
          provide: MCP_BROKER,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.NATS,
              options: { ...natsConnectOptions(rt.config, 'chat'), name: `harness-chat-mcp-${rt.config.replicaId}` },
            }),
        },
        { provide: ActorRegistry, useFactory: (broker: ClientProxy) => createRegistry(rt, broker), inject: [MCP_BROKER] },
        { provide: BudgetStore, useFactory: () => new BudgetStore(rt.db.pool, rt.config.budgets.defaultMonthlyUsd) },
        BrokerClientCloser,
      ],
      exports: [ActorRegistry],
    };
  }
}

function createRegistry({ config, logger, db, nats }: ChatRuntime, broker: ClientProxy): ActorRegistry {
  // The SDK's own complaints (e.g. an unparsable chunk) go to our log at debug: the run reports the failure itself.
  const sdkLog = (msg: string, ...args: unknown[]) => logger.debug({ sdk: 'openai', detail: args.map((a) => String(a).slice(0, 300)) }, msg);
  const llm = new OpenAI({
    baseURL: config.llm.baseUrl,
    apiKey: config.llm.apiKey ?? 'unset',
    maxRetries: 1,
    timeout: config.llm.requestTimeoutMs,
    logger: { error: sdkLog, warn: sdkLog, info: sdkLog, debug: sdkLog },
  });
  const prices = new PriceBook(config.llm.pricesJson, () => loadPriceCatalogue(config.llm.baseUrl, config.llm.apiKey));
  const backfill = new UsageBackfill(
    config.llm.baseUrl,
    config.llm.apiKey,
    prices,
    async (req, usage) => {
      await registry.dispatch({
        type: 'record-usage',
        payload: { userId: req.userId, conversationId: req.conversationId, messageId: req.messageId, model: req.model, usage },
      });
    },
    logger,
  );
  const budgets = new BudgetStore(db.pool, config.budgets.defaultMonthlyUsd);
  const signingKey = config.jobSigningKey;
  if (!signingKey) throw new Error('chat needs HARNESS_JOB_SIGNING_KEY (loadConfig gives it to the chat service)');
  const registry: ActorRegistry = new ActorRegistry({
    config, pool: db.pool, store: new EventStore(db.pool), nats, live: new LivePublisher(nats, logger), leases: new LeaseRepository(db.pool, config.chat.leaseTtlMs),
    llm, prices, tools: (harnessId, userId, conversationId) =>
      brokerTools({ client: broker, nats, db, logger, toolTimeoutMs: config.mcp.toolTimeoutMs, signingKey }, harnessId, userId, conversationId), backfill, logger,
    budgets,
  });
  return registry;
}
