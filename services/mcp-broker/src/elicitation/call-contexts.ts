import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { PausableDeadline } from './pausable-deadline.js';

/** The tool call an MCP server's request (an elicitation) belongs to. */
export interface ToolCallContext {
  userId: string;
  /** Absent for a call signed without it: such a call has no conversation to ask in. */
  conversationId: string | undefined;
  /** toolCallJobId of the call: names chat's subject for it. */
  callKey: string;
  serverName: string;
  /** Aborted when the call is cancelled (the run stopped) or times out. */
  signal: AbortSignal;
  deadline: PausableDeadline;
  /** Elicitations this call has made so far (bounded). */
  elicitations: number;
}

interface Scope {
  client: Client;
  call: ToolCallContext;
}

/**
 * Which running tool call a server's request belongs to. Sessions are shared by a user's concurrent calls, and the
 * SDK does not say which POST stream a request came on; but the stream is read in the async context of the request
 * that opened it, so an AsyncLocalStorage scope set around `callTool` is there when its elicitation arrives. Requests
 * on the session's standalone GET stream (opened outside any call, see SessionPool) have no scope: they belong to the
 * session's only running call, or to none when several run.
 */
export class CallContexts {
  private readonly scope = new AsyncLocalStorage<Scope>();
  private readonly active = new Map<Client, Set<ToolCallContext>>();

  async run<T>(client: Client, call: ToolCallContext, fn: () => Promise<T>): Promise<T> {
    let calls = this.active.get(client);
    if (!calls) this.active.set(client, (calls = new Set()));
    calls.add(call);
    try {
      return await this.scope.run({ client, call }, fn);
    } finally {
      calls.delete(call);
      if (calls.size === 0 && this.active.get(client) === calls) this.active.delete(client);
    }
  }

  /** Runs `fn` outside any call's scope (opening a session: its GET stream must not inherit the first call's scope). */
  outside<T>(fn: () => T): T {
    return this.scope.exit(fn);
  }

  /** The call a request received on `client` belongs to, or undefined when that cannot be told. */
  callFor(client: Client): ToolCallContext | undefined {
    const current = this.scope.getStore();
    if (current && current.client === client) return current.call;
    const calls = this.active.get(client);
    return calls?.size === 1 ? [...calls][0] : undefined;
  }
}
