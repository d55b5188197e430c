import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { z } from 'zod';
import {
  CallToolCommand, CallToolResult, ListToolsCommand, ListToolsResult, McpBrokerSubjects, replyOf, setSubjectNamespace, type Reply,
} from '@harness/contracts';
import { signToolCall } from '@harness/crypto';
import { waitFor, type System } from '@harness/testing';

/**
 * A NATS namespace of the test's own: pass `env: { HARNESS_NATS_NAMESPACE: ns }` to startSystem, then
 * `BrokerCommands.connect(system)`. Sets this test file's subject namespace (jest gives each file its own modules).
 */
export function testNamespace(label: string): string {
  const ns = `t-${label.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  setSubjectNamespace(ns);
  return ns;
}

/**
 * Sends the mcp-broker's NATS commands the way chat and the gateway do (Nest's NATS wire format: a JSON packet
 * `{pattern, data, id}`, answered with `{response}`), over a plain NATS connection, and checks the replies against
 * the contracts in libs/contracts.
 */
export class BrokerCommands {
  private constructor(private readonly nc: NatsConnection, private readonly signingKey: Buffer | undefined) {}

  /**
   * Connects to the system's NATS as its test user (may send any command of the namespace) and signs each callTool
   * with the system's job signing key, as chat does (`signed: false`: calls go unsigned).
   */
  static async connect(system: Pick<System, 'natsConnectOptions' | 'jobSigningKey'>, opts: { signed?: boolean } = {}): Promise<BrokerCommands> {
    const nc = await connect({ ...system.natsConnectOptions('test'), name: 'harness-e2e-broker-commands' });
    return new BrokerCommands(nc, opts.signed === false ? undefined : Buffer.from(system.jobSigningKey, 'utf8'));
  }

  /** Waits until an mcp-broker replica answers its health subject. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        const msg = await this.nc.request(McpBrokerSubjects.health, JSON.stringify({ pattern: McpBrokerSubjects.health, data: {}, id: 'health' }), { timeout: 1_000 });
        return (msg.json() as { response?: { status?: string } }).response?.status === 'ok';
      },
      { timeoutMs, intervalMs: 100, description: 'the mcp-broker to answer its health subject' },
    );
  }

  listTools(payload: z.input<typeof ListToolsCommand>, timeoutMs = 15_000): Promise<Reply<ListToolsResult>> {
    return this.send(McpBrokerSubjects.listTools, ListToolsCommand, ListToolsResult, payload, timeoutMs);
  }

  /** The reply to a callTool command; waits the call's own timeout (default 60 s) plus a margin. */
  callTool(payload: z.input<typeof CallToolCommand>, waitMs = (payload.timeoutMs ?? 60_000) + 15_000): Promise<Reply<CallToolResult>> {
    const stamped = { ...payload, signedAt: payload.signedAt ?? Date.now() };
    const signed = this.signingKey && payload.signature === undefined ? { ...stamped, signature: signToolCall(this.signingKey, stamped) } : payload;
    return this.send(McpBrokerSubjects.callTool, CallToolCommand, CallToolResult, signed, waitMs);
  }

  /** callTool that must get an `ok: true` reply (the tool's own outcome may still be a failure). */
  async call(payload: z.input<typeof CallToolCommand>): Promise<CallToolResult> {
    const reply = await this.callTool(payload);
    if (!reply.ok) throw new Error(`callTool ${payload.name}: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
  }

  private async send<C extends z.ZodType, R extends z.ZodType>(
    subject: string, command: C, result: R, payload: z.input<C>, timeoutMs: number,
  ): Promise<Reply<z.output<R>>> {
    const id = randomBytes(8).toString('hex');
    const msg = await this.nc.request(subject, JSON.stringify({ pattern: subject, data: command.parse(payload), id }), { timeout: timeoutMs });
    const packet = msg.json() as { response?: unknown; err?: unknown };
    if (packet.err !== undefined) throw new Error(`${subject}: transport error ${JSON.stringify(packet.err)}`);
    return replyOf(result).parse(packet.response) as Reply<z.output<R>>;
  }
}
