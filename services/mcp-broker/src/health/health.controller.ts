import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { McpBrokerSubjects } from '@harness/contracts';
import { REPLICA_ID } from '../tokens.js';

@Controller()
export class HealthController {
  constructor(@Inject(REPLICA_ID) private readonly replicaId: string) {}

  @MessagePattern(McpBrokerSubjects.health)
  health() {
    return { service: 'mcp-broker', replicaId: this.replicaId, status: 'ok' as const };
  }
}
