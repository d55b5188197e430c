import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { AuthSubjects } from '@harness/contracts';
import { REPLICA_ID } from '../tokens.js';

@Controller()
export class HealthController {
  constructor(@Inject(REPLICA_ID) private readonly replicaId: string) {}

  @MessagePattern(AuthSubjects.health)
  health() {
    return { service: 'auth', replicaId: this.replicaId, status: 'ok' as const };
  }
}
