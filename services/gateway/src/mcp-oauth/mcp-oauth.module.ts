import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import type { Config } from '@harness/config';
import { natsConnectOptions } from '@harness/contracts';
import { CONFIG } from '../core/tokens.js';
import { AUTH_CLIENT, AuthCommands } from './auth-commands.js';
import { BrowserBinding } from './browser-binding.js';
import { ClientMetadataController } from './client-metadata.controller.js';
import { McpOAuthController } from './mcp-oauth.controller.js';
import { McpOAuth } from './mcp-oauth.service.js';

/** MCP OAuth: start, callback page, status and disconnect (through the auth service), and the client metadata document. */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: AUTH_CLIENT,
        inject: [CONFIG],
        useFactory: (config: Config) => ({
          transport: Transport.NATS,
          options: { ...natsConnectOptions(config, 'gateway'), name: `gateway-auth-${config.replicaId}`, maxReconnectAttempts: -1 },
        }),
      },
    ]),
  ],
  controllers: [McpOAuthController, ClientMetadataController],
  providers: [AuthCommands, McpOAuth, BrowserBinding],
  // The API keys module sends its commands over the same connection.
  exports: [AuthCommands],
})
export class McpOAuthModule {}
