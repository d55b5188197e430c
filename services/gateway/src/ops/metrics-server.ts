import { createServer, type Server } from 'node:http';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { GatewayMetrics } from '../core/metrics.js';
import { CONFIG, LOGGER } from '../core/tokens.js';
import { toHttpError } from '../http/error-mapping.js';
import { writeHttpError } from '../http/write-error.js';
import { checkMetricsAccess } from './metrics-access.js';

/** With HARNESS_METRICS_PORT: a listener of its own that serves GET /metrics and nothing else. */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsHost } = this.config.gateway;
    if (metricsPort === undefined) return;
    const server = createServer((req, res) => {
      void (async () => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') throw new DomainError('not_found', 'not found');
        checkMetricsAccess(this.config, req.headers.authorization, true);
        const text = await this.metrics.registry.metrics();
        res.setHeader('content-type', this.metrics.registry.contentType);
        res.end(text);
      })().catch((err: unknown) => {
        const e = toHttpError(err);
        if (e.unexpected) this.logger.error(errorFields(err), 'metrics endpoint failed');
        writeHttpError(res, e);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metricsPort, metricsHost, () => resolve());
    });
    this.server = server;
    this.logger.info({ port: metricsPort, host: metricsHost }, 'metrics listening on a port of their own');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
