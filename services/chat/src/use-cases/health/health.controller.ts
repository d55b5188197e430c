import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ChatSubjects } from '@harness/contracts';
import type { Config } from '@harness/config';
import { CONFIG } from '../../infra/tokens.js';

@Controller()
export class HealthController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @MessagePattern(ChatSubjects.health)
  health() {
    return { service: 'chat', replicaId: this.config.replicaId, status: 'ok' as const };
  }
}
