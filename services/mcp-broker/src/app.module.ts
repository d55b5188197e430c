import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import type { Config } from '@harness/config';
import { natsConnectOptions } from '@harness/contracts';
import { connect } from '@nats-io/transport-node';
import { createKeyring } from '@harness/crypto';
import { createDatabase, type Database } from '@harness/db';
import type { Logger } from '@harness/logging';
import { createOutboundPolicy } from '@harness/outbound';
import { natsAuthTokens } from './auth/auth-client.js';
import { ServerAccess } from './auth/server-access.js';
import { CallContexts } from './elicitation/call-contexts.js';
import { ElicitationController } from './elicitation/elicitation.controller.js';
import { DEFAULT_ELICITATION_OPTIONS, Elicitations } from './elicitation/elicitations.js';
import { HealthController } from './health/health.controller.js';
import { SessionPool } from './sessions/session-pool.js';
import { CallToolController } from './tools/call-tool/call-tool.controller.js';
import { CallTool, DEFAULT_CALL_TOOL_OPTIONS } from './tools/call-tool/call-tool.usecase.js';
import { ListToolsController } from './tools/list-tools/list-tools.controller.js';
import { DEFAULT_LIST_TOOLS_OPTIONS, ListTools } from './tools/list-tools/list-tools.usecase.js';
import {
  AUTH_CLIENT, AUTH_TOKENS, CALL_CONTEXTS, CALL_TOOL_OPTIONS, CONFIG, DATABASE, ELICITATION_NATS, ELICITATION_OPTIONS, KEYRING, LIST_TOOLS_OPTIONS, LOGGER, REPLICA_ID, SESSION_POOL,
} from './tokens.js';

export interface McpBrokerRuntime {
  config: Config;
  logger: Logger;
}

/** Closes the MCP sessions (with DELETE), the auth service client and the database when the service stops. */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SESSION_POOL) private readonly pool: SessionPool,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AUTH_CLIENT) private readonly authClient: ClientProxy,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close().catch(() => undefined);
    await Promise.resolve(this.authClient.close()).catch(() => undefined);
    await this.db.close();
  }
}

@Module({})
export class McpBrokerModule {
  static forRoot({ config, logger }: McpBrokerRuntime): DynamicModule {
    return {
      module: McpBrokerModule,
      controllers: [HealthController, ListToolsController, CallToolController, ElicitationController],
      providers: [
        { provide: REPLICA_ID, useValue: config.replicaId },
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: LIST_TOOLS_OPTIONS,
          useValue: { ...DEFAULT_LIST_TOOLS_OPTIONS, maxListingBytes: config.mcp.maxListingBytes, cacheMaxBytes: config.mcp.listingCacheBytes },
        },
        { provide: CALL_TOOL_OPTIONS, useValue: { ...DEFAULT_CALL_TOOL_OPTIONS, concurrency: config.mcp.toolConcurrency, perServerConcurrency: config.mcp.perServerConcurrency, defaultTimeoutMs: config.mcp.toolTimeoutMs } },
        { provide: DATABASE, useFactory: () => createDatabase(config.databaseUrl, { applicationName: `harness-mcp-broker-${config.replicaId}` }) },
        { provide: KEYRING, useValue: createKeyring(config.encryptionKey, config.previousEncryptionKeys) },
        { provide: CALL_CONTEXTS, useValue: new CallContexts() },
        { provide: ELICITATION_OPTIONS, useValue: { ...DEFAULT_ELICITATION_OPTIONS, timeoutMs: config.mcp.elicitationTimeoutMs } },
        {
          provide: ELICITATION_NATS,
          useFactory: () => connect({ ...natsConnectOptions(config, 'mcp-broker'), name: `harness-mcp-broker-elicitation-${config.replicaId}`, maxReconnectAttempts: -1 }),
        },
        Elicitations,
        {
          provide: SESSION_POOL,
          inject: [Elicitations, CALL_CONTEXTS],
          useFactory: (elicitations: Elicitations, contexts: CallContexts) =>
            new SessionPool({
              policy: createOutboundPolicy({ allowlist: config.outboundAllowlist }),
              idleTtlMs: config.mcp.sessionIdleTtlMs,
              maxPerServer: config.mcp.maxSessionsPerServer,
              maxTotal: config.mcp.maxSessions,
              maxPerUser: config.mcp.maxSessionsPerUser,
              maxResponseBytes: config.mcp.maxResponseBytes,
              clientInfo: { name: 'harness-mcp-broker', version: '0.1.0' },
              connectTimeoutMs: DEFAULT_LIST_TOOLS_OPTIONS.serverTimeoutMs,
              logger,
              onElicitation: elicitations.handle,
              outsideCallScope: (fn) => contexts.outside(fn),
            }),
        },
        {
          provide: AUTH_CLIENT,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.NATS,
              options: { ...natsConnectOptions(config, 'mcp-broker'), name: `harness-mcp-broker-auth-${config.replicaId}`, maxReconnectAttempts: -1 },
            }),
        },
        { provide: AUTH_TOKENS, useFactory: (client: ClientProxy) => natsAuthTokens(client), inject: [AUTH_CLIENT] },
        ServerAccess,
        ListTools,
        CallTool,
        ResourcesCloser,
      ],
    };
  }
}
