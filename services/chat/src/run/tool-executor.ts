import type { UiChunk } from '@harness/contracts';

/** Runs the tool calls of one step. The MCP broker provides the real one; until a harness has tools, calls fail clearly. */
export interface ToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

export type ToolOutcome =
  | { ok: true; output: unknown }
  | {
      ok: false;
      errorText: string;
      /** The user must connect their account on this (OAuth) MCP server: the run gets a `data-mcp-auth` chunk. */
      authRequired?: McpAuthNeeded;
    };

/** The user must connect their account on an (OAuth) MCP server, and where. */
export interface McpAuthNeeded {
  serverUrl: string;
  authorizationUrl?: string;
}

export interface ToolExecutor {
  /** OpenAI `tools` definitions offered to the model (empty: none are sent). */
  definitions(): unknown[];
  /** MCP servers whose tools are missing from this run because the user has not connected them (OAuth). */
  authNeeded?(): McpAuthNeeded[];
  /** `stream` puts what the call produces meanwhile (an MCP server's question to the user) in the run's stream. */
  execute(call: ToolCall, signal: AbortSignal, stream?: ToolCallStream): Promise<ToolOutcome>;
}

/** The run's stream as a running tool call sees it. */
export interface ToolCallStream {
  /** False when the run has stopped and the chunks were not published. */
  publish(chunks: UiChunk[]): Promise<boolean>;
}

export const noTools: ToolExecutor = {
  definitions: () => [],
  execute: async (call) => ({ ok: false, errorText: `no tool named "${call.toolName}" is available to this harness` }),
};

/** `tools` plus the servers the user must connect before their tools can be offered. */
export function withAuthNeeded(tools: ToolExecutor, needed: McpAuthNeeded[]): ToolExecutor {
  if (needed.length === 0) return tools;
  return { definitions: () => tools.definitions(), execute: (call, signal, stream) => tools.execute(call, signal, stream), authNeeded: () => needed };
}
