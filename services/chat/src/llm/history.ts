import { isToolOutput, toolOutputModelText, truncateChars, TOOL_OUTPUT_MODEL_CHARS, type MessagePart } from '@harness/contracts';

/** A stored message as the history builder needs it. */
export interface HistoryMessage {
  role: 'user' | 'assistant';
  status: string;
  parts: MessagePart[];
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/**
 * The conversation as OpenAI chat messages: text parts (reasoning is not sent back), and tool calls with their
 * results so a tool loop can continue. Failed assistant messages without text are left out.
 */
export function toChatMessages(systemPrompt: string, history: HistoryMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt });
  for (const m of history) {
    if (m.role === 'user') {
      out.push({ role: 'user', content: textOf(m.parts) });
      continue;
    }
    out.push(...assistantMessages(m.parts));
  }
  return out;
}

/** One assistant message per step: text, then its tool calls, then one tool message per call. */
export function assistantMessages(parts: MessagePart[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let text = '';
  let calls: Extract<MessagePart, { type: 'dynamic-tool' }>[] = [];
  const flush = () => {
    if (!text && !calls.length) return;
    out.push({
      role: 'assistant',
      content: text || null,
      ...(calls.length
        ? { tool_calls: calls.map((c) => ({ id: c.toolCallId, type: 'function' as const, function: { name: c.toolName, arguments: JSON.stringify(c.input ?? {}) } })) }
        : {}),
    });
    for (const c of calls) out.push({ role: 'tool', tool_call_id: c.toolCallId, content: toolResultText(c) });
    text = '';
    calls = [];
  };
  for (const p of parts) {
    if (p.type === 'text') {
      if (calls.length) flush();
      text += p.text;
    } else if (p.type === 'dynamic-tool') {
      calls.push(p);
    }
  }
  flush();
  return out;
}

/** The tool message for the model: an MCP output as the broker describes it (the same text live and replayed). */
export function toolResultText(p: Extract<MessagePart, { type: 'dynamic-tool' }>): string {
  if (p.state === 'output-error') return truncateChars(`Error: ${p.errorText ?? 'tool call failed'}`, TOOL_OUTPUT_MODEL_CHARS).text;
  if (p.state === 'output-available') {
    if (isToolOutput(p.output)) return toolOutputModelText(p.output).text;
    return truncateChars(typeof p.output === 'string' ? p.output : JSON.stringify(p.output) ?? 'null', TOOL_OUTPUT_MODEL_CHARS).text;
  }
  return 'Error: the tool call did not complete';
}

const textOf = (parts: MessagePart[]) => parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
