import { timingSafeEqual } from 'node:crypto';
import type { Config } from '@harness/config';
import { DomainError } from '@harness/contracts';

/**
 * Who may read /metrics: with HARNESS_METRICS_TOKEN, only a request carrying `Authorization: Bearer <token>` (401
 * otherwise); with HARNESS_METRICS_PORT, only requests to that port (the API port answers 404, as for any unknown
 * route). Neither set (development): anyone who reaches the gateway.
 */
export function checkMetricsAccess(config: Config, authorization: string | undefined, onMetricsPort: boolean): void {
  const { metricsPort, metricsToken } = config.gateway;
  if (metricsPort !== undefined && !onMetricsPort) throw new DomainError('not_found', 'not found');
  if (metricsToken === undefined) return;
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(metricsToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new DomainError('unauthorized', 'the metrics token is required (Authorization: Bearer …)');
}
