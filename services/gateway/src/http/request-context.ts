import { randomUUID } from 'node:crypto';
import { CORRELATION_HEADER } from '@harness/contracts';
import { withCorrelation, type Logger } from '@harness/logging';
import type { GatewayMetrics } from '../core/metrics.js';
import type { HttpRequest, HttpResponse } from './types.js';

const VALID_ID = /^[A-Za-z0-9._:-]{1,200}$/;
type Next = () => void;

/**
 * First middleware: the correlation id (the client's `x-correlation-id` if sane, else a new one), echoed in the
 * response; an access log line and the duration histogram when the response finishes.
 */
export function assignCorrelationId(logger: Logger, metrics: GatewayMetrics) {
  return (req: HttpRequest, res: HttpResponse, next: Next): void => {
    const given = req.headers[CORRELATION_HEADER];
    const id = typeof given === 'string' && VALID_ID.test(given) ? given : randomUUID();
    req.correlationId = id;
    res.setHeader(CORRELATION_HEADER, id);
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      const sse = String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');
      if (!sse) metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.info(
        { correlationId: id, method: req.method, route, path: req.url?.split('?')[0], status: res.statusCode, durationMs: Math.round(seconds * 1000), userId: req.userId },
        'request',
      );
    });
    next();
  };
}

/**
 * After the body is read (body parsing leaves the async context): the rest of the request runs inside the correlation
 * context, so every log line and every NATS command carries the id.
 */
export function runInCorrelationContext() {
  return (req: HttpRequest, _res: HttpResponse, next: Next): void => withCorrelation(req.correlationId, next);
}
