import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '../auth/auth.guard.js';
import { GatewayMetrics } from '../core/metrics.js';
import type { HttpResponse } from '../http/types.js';
import { Readiness } from './readiness.js';

@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  ready() {
    return this.readiness.check();
  }

  @Get('metrics')
  async prometheus(@Res() res: HttpResponse) {
    const text = await this.metrics.registry.metrics();
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.end(text);
  }
}
