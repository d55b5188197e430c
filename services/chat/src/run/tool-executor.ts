/** Runs the tool calls of one step. The MCP broker provides the real one; until a harness has tools, calls fail clearly. */
export interface ToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

export type ToolOutcome = { ok: true; output: unknown } | { ok: false; errorText: string };

export interface ToolExecutor {
  /** OpenAI `tools` definitions offered to the model (empty: none are sent). */
  definitions(): unknown[];
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolOutcome>;
}

export const noTools: ToolExecutor = {
  definitions: () => [],
  execute: async (call) => ({ ok: false, errorText: `no tool named "${call.toolName}" is available to this harness` }),
};
