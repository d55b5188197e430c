import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { elicitationSubject, ElicitationToChat, type ElicitationData, type ElicitationToChatReply, type UiChunk } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import type { ToolCallStream } from './tool-executor.js';

/** Questions of one call shown at once (the broker bounds them too). */
const MAX_SHOWN = 16;
const encoder = new TextEncoder();

/**
 * The MCP server questions (elicitations) of one running tool call: the broker sends them on the call's own subject
 * (named by its job id, which only this run knows), this puts each in the run's stream as a `data-elicitation` chunk
 * and, when it ends, the same chunk id with its final status (the AI SDK replaces the part).
 */
export class CallElicitations {
  private readonly subscription: Subscription;
  private readonly shown = new Map<string, ElicitationData>();

  constructor(
    nats: NatsConnection,
    callKey: string,
    private readonly stream: ToolCallStream,
    private readonly signal: AbortSignal,
    /** An elicitation opened: the call may wait for the user until `expiresAt`. */
    private readonly onOpen: (expiresAt: number) => void,
    private readonly logger: Logger,
  ) {
    this.subscription = nats.subscribe(elicitationSubject(callKey), {
      // A throwing subscription callback closes the whole connection: this one answers every message and never throws.
      callback: (err, msg) => {
        if (err) return;
        this.handle(msg).catch((e: unknown) => {
          this.logger.warn(errorFields(e), 'could not show an elicitation');
          respond(msg, { delivered: false });
        });
      },
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private async handle(msg: Msg): Promise<void> {
    const parsed = ElicitationToChat.safeParse(safeJson(msg));
    if (!parsed.success || this.signal.aborted) return respond(msg, { delivered: false });
    const m = parsed.data;
    if (m.kind === 'open') {
      if (this.shown.size >= MAX_SHOWN || this.shown.has(m.elicitationId)) return respond(msg, { delivered: false });
      const data: ElicitationData = { elicitationId: m.elicitationId, serverName: m.serverName, message: m.message, requestedSchema: m.requestedSchema, status: 'pending' };
      const delivered = await this.stream.publish([chunkOf(data)]);
      if (delivered) {
        this.shown.set(m.elicitationId, data);
        this.onOpen(m.expiresAt);
      }
      return respond(msg, { delivered });
    }
    const data = this.shown.get(m.elicitationId);
    if (!data) return respond(msg, { delivered: false });
    this.shown.delete(m.elicitationId);
    respond(msg, { delivered: await this.stream.publish([chunkOf({ ...data, status: m.status })]) });
  }
}

const chunkOf = (data: ElicitationData): UiChunk => ({ type: 'data-elicitation', id: data.elicitationId, data });

function respond(msg: Msg, reply: ElicitationToChatReply): void {
  if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)));
}

function safeJson(msg: Msg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
