import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import { AuthSubjects, ChatSubjects, DomainError, McpBrokerSubjects } from '@harness/contracts';
import type { Database } from '@harness/db';
import type { Logger } from '@harness/logging';
import { DATABASE, GATEWAY_OPTIONS, LOGGER, NATS, REDIS, type GatewayOptions } from '../core/tokens.js';

type CheckResult = 'ok' | string;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/** Readiness: Postgres, NATS, Redis, and the chat, mcp-broker and auth services answering their health subjects. */
@Injectable()
export class Readiness {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GATEWAY_OPTIONS) private readonly options: GatewayOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async check(): Promise<{ status: 'ready'; checks: Record<string, CheckResult> }> {
    const ms = this.options.readinessTimeoutMs;
    const probes: Record<string, () => Promise<unknown>> = {
      postgres: () => this.db.pool.query('SELECT 1'),
      nats: () => this.nats.rtt(),
      redis: () => this.redis.ping(),
      chat: () => this.health(ChatSubjects.health, ms),
      'mcp-broker': () => this.health(McpBrokerSubjects.health, ms),
      auth: () => this.health(AuthSubjects.health, ms),
    };
    const names = Object.keys(probes);
    const results = await Promise.allSettled(names.map((n) => withTimeout(probes[n](), ms)));
    const checks: Record<string, CheckResult> = {};
    // Unauthenticated callers see only ok/unavailable; the reason (hosts, users…) goes to the log.
    results.forEach((r, i) => {
      checks[names[i]] = r.status === 'fulfilled' ? 'ok' : 'unavailable';
      if (r.status === 'rejected') this.logger.warn({ check: names[i], reason: String((r.reason as Error)?.message ?? r.reason) }, 'readiness check failed');
    });
    const failing = Object.fromEntries(Object.entries(checks).filter(([, v]) => v !== 'ok'));
    if (Object.keys(failing).length) throw new DomainError('service_unavailable', `not ready: ${Object.keys(failing).join(', ')}`, { checks, failing });
    return { status: 'ready', checks };
  }

  /**
   * A health request in Nest's NATS message format (services answer with @MessagePattern), read leniently: any answer
   * without an error counts.
   */
  private async health(subject: string, timeout: number): Promise<void> {
    const packet = JSON.stringify({ pattern: subject, data: {}, id: `readyz-${Date.now()}-${Math.random().toString(36).slice(2)}` });
    const msg = await this.nats.request(subject, packet, { timeout });
    let body: unknown;
    try {
      body = msg.json();
    } catch {
      return;
    }
    if (body && typeof body === 'object' && 'err' in body && (body as { err: unknown }).err) throw new Error(`answered an error: ${JSON.stringify((body as { err: unknown }).err)}`);
  }
}
