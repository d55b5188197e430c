import {
  promptChars,
  requestedEffort,
  selectScenario,
  systemPrompt,
  toolHistory,
  type ChatRequest,
  type ReasoningEffort,
  type Scenario,
} from './scenario.js';
import { generateWords, splitFixed, splitIntoTokens, tokensForChars } from './text-generator.js';

/**
 * Turns a validated request into a response plan: the list of content deltas to stream, the final message,
 * pacing, and fault injection. Pure (no I/O) so it is cheap and unit-testable.
 */

export type ReasoningField = 'reasoning' | 'reasoning_content' | 'reasoning_details';
export type ChunkKind = 'reasoning' | 'content' | 'tool';

export interface PlannedChunk {
  kind: ChunkKind;
  /** Characters this chunk adds to its kind (for token accounting on abort). */
  chars: number;
  /** The text piece (reasoning, content or tool-call argument fragment; '' for a tool-call header). */
  text: string;
  /** Tool-call index (tool chunks only). */
  toolIndex: number;
  /** Pre-serialised delta of a tool-call header (first chunk of each call). */
  headerJson?: string;
  /** A stamped text token: its text is `stampText()`, computed when it is written (`text` is then ''). */
  stamp?: true;
}

/** Characters of a stamp token for an epoch of 13 digits (the planned size; the real one is counted when written). */
export const STAMP_CHARS = 20;

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type Fault =
  | { kind: 'error'; after: number }
  | { kind: 'drop'; after: number }
  | { kind: 'stall'; after: number }
  | { kind: 'malformed'; after: number };

export interface ResponsePlan {
  model: string;
  stream: boolean;
  reasoningField: ReasoningField;
  reasoning: string;
  text: string;
  toolCalls: PlannedToolCall[];
  chunks: PlannedChunk[];
  finishReason: string;
  promptTokens: number;
  /** 0 = as fast as possible. */
  tokensPerSecond: number;
  firstTokenDelayMs: number;
  fault: Fault | null;
  /** Send the usage chunk (client asked and the scenario does not forbid it). */
  sendUsage: boolean;
  /** False when the scenario says `usage: false` (never report usage). */
  usageAllowed: boolean;
  /** Include `cost` in the usage (OpenRouter `usage.include`). */
  includeCost: boolean;
  costOverride: number | undefined;
  /** Answer immediately with this HTTP error status. */
  status: number | undefined;
}

export const PROMPT_PRICE = 0.000001;
export const COMPLETION_PRICE = 0.000002;
const MAX_ECHO = 200;
/** Words of reasoning a request's effort produces when nothing else scripts the reasoning: more effort, more thinking. */
export const EFFORT_REASONING_WORDS: Record<ReasoningEffort, number> = { low: 8, medium: 24, high: 64 };

export interface PlanOptions {
  defaultTokensPerSecond: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
  prompt_tokens_details: { cached_tokens: number };
  cost?: number;
}

export interface TokenTally {
  reasoningChars: number;
  contentChars: number;
  toolChars: number;
}

export function completionTokens(t: TokenTally): { completion: number; reasoning: number } {
  const reasoning = tokensForChars(t.reasoningChars);
  return { completion: reasoning + tokensForChars(t.contentChars) + tokensForChars(t.toolChars), reasoning };
}

export function computeCost(promptTokens: number, completion: number, override?: number): number {
  if (override !== undefined) return override;
  return Math.round((promptTokens * PROMPT_PRICE + completion * COMPLETION_PRICE) * 1e12) / 1e12;
}

export function buildUsage(plan: ResponsePlan, tally: TokenTally, withCost: boolean): Usage {
  const { completion, reasoning } = completionTokens(tally);
  const usage: Usage = {
    prompt_tokens: plan.promptTokens,
    completion_tokens: completion,
    total_tokens: plan.promptTokens + completion,
    completion_tokens_details: { reasoning_tokens: reasoning },
    prompt_tokens_details: { cached_tokens: 0 },
  };
  if (withCost) usage.cost = computeCost(plan.promptTokens, completion, plan.costOverride);
  return usage;
}

/** The tally of a plan streamed to the end. */
export function fullTally(plan: ResponsePlan): TokenTally {
  const t: TokenTally = { reasoningChars: 0, contentChars: 0, toolChars: 0 };
  for (const c of plan.chunks) addToTally(t, c);
  return t;
}

export function addToTally(t: TokenTally, c: PlannedChunk): void {
  if (c.kind === 'reasoning') t.reasoningChars += c.chars;
  else if (c.kind === 'content') t.contentChars += c.chars;
  else t.toolChars += c.chars;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

function wordsOrText(v: string | number | undefined, seed: string): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? generateWords(v, seed) : v;
}

function firstToolName(tools: readonly unknown[] | null | undefined): string | undefined {
  const t = tools?.[0] as { function?: { name?: unknown } } | undefined;
  return typeof t?.function?.name === 'string' ? t.function.name : undefined;
}

function pickFault(s: Scenario): Fault | null {
  const candidates: Fault[] = [];
  if (s.errorAfter !== undefined) candidates.push({ kind: s.errorMode === 'drop' ? 'drop' : 'error', after: s.errorAfter });
  if (s.stallAfter !== undefined) candidates.push({ kind: 'stall', after: s.stallAfter });
  if (s.malformedAfter !== undefined) candidates.push({ kind: 'malformed', after: s.malformedAfter });
  if (candidates.length === 0) return null;
  return candidates.reduce((a, b) => (b.after < a.after ? b : a));
}

/**
 * The `delta` JSON of a chunk. Serialised lazily at write time (only the text piece goes through JSON.stringify)
 * so building a plan stays cheap however long the answer is.
 */
export function deltaJson(field: ReasoningField, c: PlannedChunk): string {
  if (c.headerJson !== undefined) return c.headerJson;
  const piece = JSON.stringify(c.text);
  switch (c.kind) {
    case 'content':
      return '{"content":' + piece + '}';
    case 'tool':
      return '{"tool_calls":[{"index":' + c.toolIndex + ',"function":{"arguments":' + piece + '}}]}';
    case 'reasoning':
      if (field === 'reasoning_content') return '{"reasoning_content":' + piece + '}';
      if (field === 'reasoning_details') {
        return (
          '{"reasoning":' + piece +
          ',"reasoning_details":[{"type":"reasoning.text","text":' + piece + ',"format":"unknown","index":0}]}'
        );
      }
      return '{"reasoning":' + piece + '}';
  }
}

/** Builds the response plan (throws RequestError on a bad scenario). */
export function buildPlan(req: ChatRequest, opts: PlanOptions): ResponsePlan {
  const { scenario: s, userText } = selectScenario(req.messages);
  const model = req.model;
  const history = toolHistory(req.messages);
  const seed = userText;

  // Tool calls: scripted, or sim/tools' default (call the first offered tool with `{}`).
  let scriptedCalls = s.toolCalls;
  if (scriptedCalls === undefined && model === 'sim/tools') {
    const name = firstToolName(req.tools);
    if (name) scriptedCalls = [{ name, arguments: {} }];
  }
  const steps = s.steps ?? 1;
  const afterToolResults = history.trailingToolContents.length > 0;
  const emitTools = !!scriptedCalls && scriptedCalls.length > 0 && (!afterToolResults || history.rounds < steps);

  let text: string;
  if (emitTools) {
    text = s.echoSystem ? systemPrompt(req.messages) : (wordsOrText(s.text, seed) ?? '');
  } else if (afterToolResults) {
    text =
      s.afterTools ??
      'Tool results: ' + history.trailingToolContents.map((c) => truncate(c, MAX_ECHO)).join('; ');
  } else if (s.echoSystem) {
    text = systemPrompt(req.messages);
  } else {
    text = wordsOrText(s.text, seed) ?? 'Echo: ' + truncate(userText, MAX_ECHO);
  }

  let reasoning = wordsOrText(s.reasoning, seed + '\u0000reasoning') ?? '';
  const effort = requestedEffort(req);
  if (s.reasoning === undefined && model === 'sim/reasoning') {
    reasoning = `The user wrote "${truncate(userText, 60)}". I will answer by echoing it back.`;
  } else if (s.reasoning === undefined && effort !== null) {
    reasoning = generateWords(EFFORT_REASONING_WORDS[effort], seed + '\u0000reasoning');
  }
  const reasoningField: ReasoningField = s.reasoningField ?? 'reasoning';

  const round = history.rounds;
  const toolCalls: PlannedToolCall[] = emitTools
    ? scriptedCalls!.map((c, i) => ({
        id: c.id ?? `call_sim_${round}_${i}`,
        name: c.name,
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
      }))
    : [];

  const chunks: PlannedChunk[] = [];
  for (const piece of splitIntoTokens(reasoning)) {
    chunks.push({ kind: 'reasoning', chars: piece.length, text: piece, toolIndex: 0 });
  }
  if (s.stamp) {
    // One stamped token per text token: N for `text: N`, else as many as the text would have had.
    const fromWords = typeof s.text === 'number' && !s.echoSystem && (emitTools || !afterToolResults);
    const count = fromWords ? (s.text as number) : splitIntoTokens(text).length;
    for (let k = 0; k < count; k++) chunks.push({ kind: 'content', chars: STAMP_CHARS, text: '', toolIndex: 0, stamp: true });
  } else {
    for (const piece of splitIntoTokens(text)) {
      chunks.push({ kind: 'content', chars: piece.length, text: piece, toolIndex: 0 });
    }
  }
  if (toolCalls.length > 0) {
    const header = (tc: PlannedToolCall, index: number): PlannedChunk => ({
      kind: 'tool',
      chars: tc.name.length,
      text: '',
      toolIndex: index,
      headerJson: JSON.stringify({
        tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.name, arguments: '' } }],
      }),
    });
    const fragment = (index: number, f: string): PlannedChunk => ({ kind: 'tool', chars: f.length, text: f, toolIndex: index });
    const fragments = toolCalls.map((tc) => splitFixed(tc.arguments, 4));
    if (s.interleave) {
      toolCalls.forEach((tc, i) => chunks.push(header(tc, i)));
      const longest = Math.max(...fragments.map((f) => f.length));
      for (let k = 0; k < longest; k++) {
        for (let i = 0; i < toolCalls.length; i++) {
          const f = fragments[i][k];
          if (f !== undefined) chunks.push(fragment(i, f));
        }
      }
    } else {
      toolCalls.forEach((tc, i) => {
        chunks.push(header(tc, i));
        for (const f of fragments[i]) chunks.push(fragment(i, f));
      });
    }
  }

  const wantsUsage = req.stream_options?.include_usage === true || req.usage?.include === true;
  return {
    model,
    stream: req.stream === true,
    reasoningField,
    reasoning,
    text,
    toolCalls,
    chunks,
    finishReason: s.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    promptTokens: tokensForChars(promptChars(req.messages)),
    tokensPerSecond: s.tokensPerSecond ?? opts.defaultTokensPerSecond,
    firstTokenDelayMs: s.firstTokenDelayMs ?? 0,
    fault: pickFault(s),
    sendUsage: wantsUsage && s.usage !== false,
    usageAllowed: s.usage !== false,
    includeCost: req.usage?.include === true,
    costOverride: s.cost,
    status: s.status,
  };
}
