import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactDeep } from './redact.js';

export type { Logger } from 'pino';

export { redactDeep, redactUrlQueries, REDACTED } from './redact.js';

const correlation = new AsyncLocalStorage<{ correlationId: string }>();

export const withCorrelation = <T>(correlationId: string, fn: () => T): T => correlation.run({ correlationId }, fn);
export const currentCorrelationId = (): string | undefined => correlation.getStore()?.correlationId;

/** A logger writing JSON lines to stdout (or `destination`, for tests); pretty when asked (development). */
export function createLogger(service: string, level = 'info', pretty = false, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    // Every record and every child's bindings go through the deep redaction (secret keys at any depth, URL queries).
    formatters: {
      log: (record) => redactDeep(record) as Record<string, unknown>,
      bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const id = currentCorrelationId();
      return id ? { correlationId: id } : {};
    },
    ...(pretty && !destination ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l' } } } : {}),
  };
  return redactingChildren(destination ? pino(options, destination) : pino(options));
}

/** pino formats a child's bindings once, without `formatters.bindings`: they are redacted here, for every descendant. */
function redactingChildren(logger: Logger): Logger {
  const child = logger.child.bind(logger);
  logger.child = ((bindings: Record<string, unknown>, opts?: object) =>
    redactingChildren(child(redactDeep(bindings) as Record<string, unknown>, opts as never))) as unknown as Logger['child'];
  return logger;
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
