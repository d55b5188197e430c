import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Config } from '@harness/config';
import type { Logger } from '@harness/logging';
import { AdminModule } from './admin/admin.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { BudgetsModule } from './budgets/budgets.module.js';
import { AiChatModule } from './ai-chat/ai-chat.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { ConversationsModule } from './conversations/conversations.module.js';
import { CoreModule } from './core/core.module.js';
import type { GatewayOptions } from './core/tokens.js';
import { HarnessesModule } from './harnesses/harnesses.module.js';
import { LimitsModule } from './limits/limits.module.js';
import { LoginModule } from './login/login.module.js';
import { McpOAuthModule } from './mcp-oauth/mcp-oauth.module.js';
import { ModelCatalog } from './models/model-catalog.js';
import { ModelsController } from './models/models.controller.js';
import { MetricsServer } from './ops/metrics-server.js';
import { OpsController } from './ops/ops.controller.js';
import { Readiness } from './ops/readiness.js';
import { RunsModule } from './runs/runs.module.js';
import { SettingsController } from './settings/settings.controller.js';
import { GetSettings, PutSettings } from './settings/settings.usecases.js';
import { StreamingModule } from './streaming/streaming.module.js';
import { GetUsage } from './usage/get-usage.usecase.js';
import { UsageController } from './usage/usage.controller.js';

@Module({})
export class AppModule {
  static forRoot(config: Config, logger: Logger, options: GatewayOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, logger, options), LimitsModule, HarnessesModule, ConversationsModule, RunsModule, StreamingModule, AiChatModule, AdminModule, McpOAuthModule, ApiKeysModule, BudgetsModule, AuthModule, LoginModule],
      controllers: [SettingsController, UsageController, ModelsController, OpsController],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }, GetSettings, PutSettings, GetUsage, ModelCatalog, Readiness, MetricsServer],
    };
  }
}
