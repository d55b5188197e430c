import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from './health/health.controller.js';
import { REPLICA_ID } from './tokens.js';

@Module({})
export class AuthModule {
  static forRoot(replicaId: string): DynamicModule {
    return { module: AuthModule, controllers: [HealthController], providers: [{ provide: REPLICA_ID, useValue: replicaId }] };
  }
}
