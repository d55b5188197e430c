import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from './health/health.controller.js';
import { REPLICA_ID } from './tokens.js';

@Module({})
export class McpBrokerModule {
  static forRoot(replicaId: string): DynamicModule {
    return { module: McpBrokerModule, controllers: [HealthController], providers: [{ provide: REPLICA_ID, useValue: replicaId }] };
  }
}
