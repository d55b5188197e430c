import { z } from 'zod';

/**
 * Request and scenario parsing. A scenario is a JSON object on a line starting with `@sim ` in the LAST user
 * message; it scripts what the simulator answers.
 */

const wordsOrText = z.union([z.string(), z.number().int().min(0).max(100_000)]);
const chunkCount = z.number().int().min(0).max(1_000_000);

export const ToolCallScriptSchema = z.strictObject({
  name: z.string().min(1),
  /** An object (sent JSON-encoded) or a raw string sent as is (e.g. to simulate invalid JSON arguments). */
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]),
  id: z.string().min(1).optional(),
});

export const ScenarioSchema = z.strictObject({
  text: wordsOrText.optional(),
  reasoning: wordsOrText.optional(),
  reasoningField: z.enum(['reasoning', 'reasoning_content', 'reasoning_details']).optional(),
  toolCalls: z.array(ToolCallScriptSchema).max(64).optional(),
  interleave: z.boolean().optional(),
  steps: z.number().int().min(1).max(1000).optional(),
  afterTools: z.string().optional(),
  tokensPerSecond: z.number().min(0).max(10_000_000).optional(),
  firstTokenDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  finishReason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'error']).optional(),
  usage: z.boolean().optional(),
  cost: z.number().min(0).optional(),
  errorAfter: chunkCount.optional(),
  errorMode: z.enum(['chunk', 'drop']).optional(),
  stallAfter: chunkCount.optional(),
  malformedAfter: chunkCount.optional(),
  status: z.number().int().min(400).max(599).optional(),
  echoSystem: z.boolean().optional(),
  /** Each text token is ` ~<epoch ms, 3 decimals>~`, stamped when it is written (one-way latency measurements). */
  stamp: z.boolean().optional(),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ToolCallScript = z.infer<typeof ToolCallScriptSchema>;

const MessageSchema = z.looseObject({
  role: z.string().min(1),
  content: z.unknown().optional(),
  tool_calls: z.unknown().optional(),
});

/** The reasoning effort a client asks for: OpenRouter's `reasoning: {effort}` or OpenAI's `reasoning_effort`. */
export const ReasoningEffortSchema = z.enum(['low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffortSchema>;

export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  usage: z.looseObject({ include: z.boolean().nullish() }).nullish(),
  tools: z.array(z.unknown()).nullish(),
  reasoning: z.looseObject({ effort: ReasoningEffortSchema.nullish() }).nullish(),
  reasoning_effort: ReasoningEffortSchema.nullish(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];

/** A request or scenario problem that maps to an HTTP 400. */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Validates a parsed JSON request body (throws RequestError). */
export function parseChatRequest(body: unknown): ChatRequest {
  const r = ChatRequestSchema.safeParse(body);
  if (!r.success) throw new RequestError(`Invalid chat completion request: ${formatIssues(r.error)}`);
  checkToolPairing(r.data.messages);
  return r.data;
}

/**
 * As OpenAI does: an assistant message with `tool_calls` must be followed by one `tool` message per call id, and a
 * `tool` message must answer a call of the assistant message before it. A history broken by an interrupted tool
 * call is refused here as a real provider would refuse it.
 */
export function checkToolPairing(messages: readonly ChatMessage[]): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'tool' && (i === 0 || (messages[i - 1].role !== 'tool' && !hasToolCalls(messages[i - 1])))) {
      throw new RequestError(`Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (messages[${i}])`);
    }
    if (!hasToolCalls(m)) continue;
    const ids = (m.tool_calls as { id?: unknown }[]).map((c) => c?.id);
    const answered = new Set<unknown>();
    let j = i + 1;
    for (; j < messages.length && messages[j].role === 'tool'; j++) {
      const id = (messages[j] as { tool_call_id?: unknown }).tool_call_id;
      if (!ids.includes(id)) throw new RequestError(`Invalid parameter: tool message messages[${j}] answers unknown tool_call_id ${JSON.stringify(id)}`);
      answered.add(id);
    }
    const missing = ids.filter((id) => !answered.has(id));
    if (missing.length) {
      throw new RequestError(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.join(', ')}`,
      );
    }
    i = j - 1;
  }
}

const hasToolCalls = (m: ChatMessage) => Array.isArray(m.tool_calls) && m.tool_calls.length > 0;

/** Text of a message content: a string, or the `text` of `{type:"text"}` parts joined with newlines. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const p of content) {
    if (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text') {
      const t = (p as { text?: unknown }).text;
      if (typeof t === 'string') parts.push(t);
    }
  }
  return parts.join('\n');
}

export interface ScenarioSelection {
  /** The scenario, or `{}` when the last user message has no `@sim` line. */
  scenario: Scenario;
  /** Whether an `@sim` line was found. */
  scripted: boolean;
  /** The last user message's text without the `@sim` line(s), trimmed. */
  userText: string;
}

const SIM_PREFIX = '@sim ';

/**
 * Finds the scenario in a user message text. The JSON object is the rest of the `@sim ` line; if that does not
 * parse, the rest of the text from there on is tried (pretty-printed JSON). Throws RequestError on a bad scenario.
 */
export function parseScenarioText(text: string): ScenarioSelection {
  const lines = text.split(/\r?\n/);
  const idx = lines.findIndex((l) => l.trimStart().startsWith(SIM_PREFIX));
  if (idx < 0) return { scenario: {}, scripted: false, userText: text.trim() };

  const rest = lines[idx].trimStart().slice(SIM_PREFIX.length).trim();
  let raw: unknown;
  let consumed = 1;
  try {
    raw = JSON.parse(rest);
  } catch (lineErr) {
    const remainder = [rest, ...lines.slice(idx + 1)].join('\n');
    try {
      raw = JSON.parse(remainder);
      consumed = lines.length - idx;
    } catch {
      throw new RequestError(`Invalid @sim scenario: not valid JSON (${(lineErr as Error).message})`);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RequestError('Invalid @sim scenario: expected a JSON object after "@sim "');
  }
  const r = ScenarioSchema.safeParse(raw);
  if (!r.success) throw new RequestError(`Invalid @sim scenario: ${formatIssues(r.error)}`);
  const userText = [...lines.slice(0, idx), ...lines.slice(idx + consumed)].join('\n').trim();
  return { scenario: r.data, scripted: true, userText };
}

/** Selects the scenario from the LAST message with role `user` (none → empty scenario, empty text). */
export function selectScenario(messages: readonly ChatMessage[]): ScenarioSelection {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') return parseScenarioText(contentText(messages[i].content));
  }
  return { scenario: {}, scripted: false, userText: '' };
}

export interface ToolHistory {
  /** Completed assistant-tool_calls/tool rounds at the end of the conversation. */
  rounds: number;
  /** Contents of the trailing `tool` messages (empty unless the conversation ends with tool messages). */
  trailingToolContents: string[];
}

/** Counts the trailing `assistant(tool_calls)` → `tool…` rounds at the end of the history. */
export function toolHistory(messages: readonly ChatMessage[]): ToolHistory {
  let i = messages.length - 1;
  const trailing: string[] = [];
  while (i >= 0 && messages[i].role === 'tool') {
    trailing.unshift(contentText(messages[i].content));
    i--;
  }
  if (trailing.length === 0) return { rounds: 0, trailingToolContents: [] };
  let rounds = 0;
  let j = messages.length - 1;
  while (j >= 0 && messages[j].role === 'tool') {
    while (j >= 0 && messages[j].role === 'tool') j--;
    rounds++;
    const m = messages[j];
    if (!m || m.role !== 'assistant' || !Array.isArray(m.tool_calls) || m.tool_calls.length === 0) break;
    j--;
  }
  return { rounds, trailingToolContents: trailing };
}

/** The first system (or developer) prompt's text, or ''. */
export function systemPrompt(messages: readonly ChatMessage[]): string {
  const m = messages.find((x) => x.role === 'system') ?? messages.find((x) => x.role === 'developer');
  return m ? contentText(m.content) : '';
}

/** Prompt tokens: `Math.ceil(chars / 4)` over all message contents. */
export function promptChars(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) n += contentText(m.content).length;
  return n;
}

/** The effort the request asks for, in either shape (OpenRouter's wins when both are sent); null when none. */
export function requestedEffort(req: ChatRequest): ReasoningEffort | null {
  return req.reasoning?.effort ?? req.reasoning_effort ?? null;
}
