import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { Config } from '@harness/config';
import { Public } from '../auth/auth.guard.js';
import { GatewayMetrics } from '../core/metrics.js';
import { CONFIG } from '../core/tokens.js';
import type { HttpResponse } from '../http/types.js';
import { checkMetricsAccess } from './metrics-access.js';
import { Readiness } from './readiness.js';

@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: Config,
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
  async prometheus(@Headers('authorization') authorization: string | undefined, @Res() res: HttpResponse) {
    checkMetricsAccess(this.config, authorization, false);
    const text = await this.metrics.registry.metrics();
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.end(text);
  }
}
