import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own (so several apps can live in one test process). */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration (SSE streams excluded)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly sseOpen = new Gauge({ name: 'sse_connections_open', help: 'Open SSE connections', registers: [this.registry] });
  readonly sseEventsSent = new Counter({ name: 'sse_events_sent_total', help: 'Events written to SSE clients', registers: [this.registry] });
  readonly sseCutSlow = new Counter({
    name: 'sse_connections_cut_slow_total',
    help: 'SSE connections closed because the client did not read fast enough',
    registers: [this.registry],
  });
  readonly sseGapsLost = new Counter({
    name: 'sse_gap_events_lost_total',
    help: 'Events published live that never reached Postgres in time (skipped after the gap deadline)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
