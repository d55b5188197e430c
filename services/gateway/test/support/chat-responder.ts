import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { CORRELATION_HEADER } from '@harness/contracts';

export interface ReceivedCommand {
  subject: string;
  data: Record<string, unknown>;
  correlationHeader: string | undefined;
}

export type Handler = (data: Record<string, unknown>) => unknown | Promise<unknown>;

/**
 * Answers NATS request/reply the way a Nest `@MessagePattern` handler does (the chat service's wire format):
 * request `{pattern, data, id}`, reply `{id, response, isDisposed: true}`. Records what it received.
 */
export class NestStyleResponder {
  readonly received: ReceivedCommand[] = [];
  private readonly subs: Subscription[] = [];

  constructor(private readonly nats: NatsConnection) {}

  on(subject: string, handler: Handler): this {
    const sub = this.nats.subscribe(subject, {
      callback: (_err, msg) => {
        const packet = msg.json<{ pattern: string; data: Record<string, unknown>; id: string }>();
        this.received.push({ subject, data: packet.data, correlationHeader: msg.headers?.get(CORRELATION_HEADER) || undefined });
        void Promise.resolve(handler(packet.data)).then((response) => {
          if (response === NO_ANSWER) return;
          msg.respond(JSON.stringify({ id: packet.id, response, isDisposed: true }));
        });
      },
    });
    this.subs.push(sub);
    return this;
  }

  async ready(): Promise<void> {
    await this.nats.flush();
  }

  stop(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }
}

/** Return this from a handler to leave the request unanswered (the caller times out). */
export const NO_ANSWER = Symbol('no answer');

export const ok = <T>(data: T) => ({ ok: true as const, data });
export const fail = (code: string, message: string, details?: unknown) => ({ ok: false as const, error: { code, message, ...(details === undefined ? {} : { details }) } });
