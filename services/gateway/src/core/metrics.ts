import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Job states reported by `queue_jobs` (BullMQ's names; a paused queue's jobs stay `waiting`, see `queue_paused`). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/** How long one scrape waits for a queue's numbers: a Redis that does not answer never holds /metrics up. */
export const QUEUE_SCRAPE_TIMEOUT_MS = 1_000;

interface QueueSample {
  counts: Record<string, number>;
  paused: boolean;
  /** Age of the oldest job in the wait list (since it was added), undefined when the list is empty. */
  oldestWaitingSeconds: number | undefined;
}

interface WatchedQueue {
  queue: Queue;
  /** The read still running (a timed-out read is not started again until it settles). */
  reading?: Promise<QueueSample>;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
};

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

  readonly limitRejections = new Counter({
    name: 'limit_rejections_total',
    help: 'Requests refused with 429 by a per-user rate limit or cap',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly limitFallbacks = new Counter({
    name: 'limit_redis_fallbacks_total',
    help: 'Limit decisions taken by this replica alone because Redis did not answer',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  // BullMQ queues (watchQueue): read from Redis on each scrape, once for all four gauges.
  private readonly queues = new Map<string, WatchedQueue>();
  /** How long a scrape waits for each queue's numbers. */
  queueScrapeTimeoutMs = QUEUE_SCRAPE_TIMEOUT_MS;
  private scrape: Promise<Map<string, QueueSample | undefined>> | undefined;
  readonly queueUp = new Gauge({
    name: 'queue_up',
    help: "1 when the queue's numbers were read from Redis for this scrape, 0 when Redis did not answer in time (1 s; its other queue_* series are then absent)",
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      const samples = await this.sampleQueues();
      this.queueUp.reset();
      for (const [queue, sample] of samples) this.queueUp.set({ queue }, sample ? 1 : 0);
    },
  });
  readonly queueJobs = new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in a BullMQ queue by state',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      const samples = await this.sampleQueues();
      this.queueJobs.reset();
      for (const [queue, sample] of samples) {
        if (sample) for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, sample.counts[state] ?? 0);
      }
    },
  });
  readonly queuePaused = new Gauge({
    name: 'queue_paused',
    help: '1 when the queue is paused (its workers take no new jobs)',
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      const samples = await this.sampleQueues();
      this.queuePaused.reset();
      for (const [queue, sample] of samples) if (sample) this.queuePaused.set({ queue }, sample.paused ? 1 : 0);
    },
  });
  readonly queueOldestWaiting = new Gauge({
    name: 'queue_oldest_waiting_job_age_seconds',
    help: 'Age of the oldest job waiting for a worker, since it was added (0 when none waits)',
    labelNames: ['queue'] as const,
    registers: [this.registry],
    collect: async () => {
      const samples = await this.sampleQueues();
      this.queueOldestWaiting.reset();
      for (const [queue, sample] of samples) if (sample) this.queueOldestWaiting.set({ queue }, sample.oldestWaitingSeconds ?? 0);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reports a BullMQ queue in `queue_*` (labelled with its name) from now on; stops when the returned function is called. */
  watchQueue(queue: Queue): () => void {
    const entry: WatchedQueue = { queue };
    this.queues.set(queue.name, entry);
    return () => {
      if (this.queues.get(queue.name) === entry) this.queues.delete(queue.name);
    };
  }

  /** One read of every watched queue per scrape (the four gauges' collect() run concurrently and share it). */
  private sampleQueues(): Promise<Map<string, QueueSample | undefined>> {
    this.scrape ??= (async () => {
      const entries = [...this.queues.entries()];
      const results = await Promise.allSettled(
        entries.map(([, entry]) => {
          entry.reading ??= readQueue(entry.queue).finally(() => (entry.reading = undefined));
          return withTimeout(entry.reading, this.queueScrapeTimeoutMs);
        }),
      );
      return new Map(entries.map(([name], i) => [name, results[i].status === 'fulfilled' ? results[i].value : undefined]));
    })().finally(() => (this.scrape = undefined));
    return this.scrape;
  }
}

async function readQueue(queue: Queue): Promise<QueueSample> {
  const [counts, paused, oldest] = await Promise.all([
    queue.getJobCounts(...QUEUE_STATES),
    queue.isPaused(),
    // The wait list's oldest job (BullMQ adds at the head, workers take from the tail).
    queue.getJobs(['wait'], 0, 0, true),
  ]);
  const added = oldest[0]?.timestamp;
  return { counts, paused, oldestWaitingSeconds: added ? Math.max(0, (Date.now() - added) / 1000) : undefined };
}
