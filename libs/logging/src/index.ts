import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, at any depth pino's redaction can see. */
const REDACT = [
  'authorization', 'Authorization', '*.authorization', '*.Authorization', 'headers.authorization',
  'authToken', '*.authToken', 'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'apiKey', '*.apiKey', 'password', '*.password', 'secret', '*.secret', 'clientSecret', '*.clientSecret',
];

const correlation = new AsyncLocalStorage<{ correlationId: string }>();

export const withCorrelation = <T>(correlationId: string, fn: () => T): T => correlation.run({ correlationId }, fn);
export const currentCorrelationId = (): string | undefined => correlation.getStore()?.correlationId;

export function createLogger(service: string, level = 'info', pretty = false): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const id = currentCorrelationId();
      return id ? { correlationId: id } : {};
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } } : {}),
  });
}

/** Routes NestJS's own logging through pino so every line is structured. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) { this.logger.info({ context }, String(message)); }
  error(message: unknown, trace?: string, context?: string) { this.logger.error({ context, trace }, String(message)); }
  warn(message: unknown, context?: string) { this.logger.warn({ context }, String(message)); }
  debug(message: unknown, context?: string) { this.logger.debug({ context }, String(message)); }
  verbose(message: unknown, context?: string) { this.logger.trace({ context }, String(message)); }
  fatal(message: unknown, context?: string) { this.logger.fatal({ context }, String(message)); }
}

/** Error to a loggable object without leaking request bodies or headers that libraries attach. */
export const errorFields = (err: unknown) =>
  err instanceof Error ? { err: { name: err.name, message: err.message, stack: err.stack } } : { err: { message: String(err) } };

/**
 * Keeps one faulty callback from taking the whole service down: an uncaught exception or an unhandled rejection is
 * logged (with the service's correlation context when there is one) and the process goes on serving. Exiting instead
 * would turn any input that reaches such a bug — a stored event replayed by the replica that takes over — into a
 * crash loop across every replica.
 */
export function installProcessGuards(logger: Logger): void {
  process.on('uncaughtException', (err, origin) => logger.error({ origin, ...errorFields(err) }, 'uncaught exception (contained; the service keeps running)'));
  process.on('unhandledRejection', (err) => logger.error(errorFields(err), 'unhandled rejection'));
}
