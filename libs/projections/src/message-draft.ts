import type { ConversationEvent, ElicitationData, MessagePart, Usage, UiChunk } from '@harness/contracts';

/**
 * The assistant message of one run, assembled from its chunks. Pure: the chat service keeps one in memory while it
 * runs, and the projection rebuild replays the same chunks through the same functions.
 */
export interface MessageDraft {
  messageId: string;
  runId: string;
  model: string;
  parts: MessagePart[];
  status: 'streaming' | 'complete' | 'interrupted' | 'failed';
  usage: Usage | null;
  error: string | null;
  /** Part index by text/reasoning part id or tool call id. */
  partIndex: Record<string, number>;
  /** Raw streamed tool input by tool call id, until `tool-input-available`. */
  toolInputText: Record<string, string>;
  /** When each tool call's input became available, to compute its duration. */
  toolStartedAt: Record<string, string>;
  openTextIds: string[];
  openReasoningIds: string[];
  /** MCP servers' questions to the user still pending, by elicitation id (closed as cancelled when the run ends). */
  openElicitations?: Record<string, ElicitationData>;
  /** When the projection last wrote this draft's parts (ms epoch); lets it throttle rewrites while text streams. */
  writtenAt?: number;
}

export function newDraft(messageId: string, runId: string, model: string): MessageDraft {
  return {
    messageId, runId, model, parts: [], status: 'streaming', usage: null, error: null,
    partIndex: {}, toolInputText: {}, toolStartedAt: {}, openTextIds: [], openReasoningIds: [],
  };
}

/** Applies one chunk; mutates and returns the draft (drafts are owned by one writer at a time). */
export function applyChunk(d: MessageDraft, chunk: UiChunk, at: string): MessageDraft {
  switch (chunk.type) {
    case 'text-start':
      d.partIndex[chunk.id] = d.parts.push({ type: 'text', text: '' }) - 1;
      d.openTextIds.push(chunk.id);
      break;
    case 'text-delta': {
      const p = d.parts[d.partIndex[chunk.id]];
      if (p?.type === 'text') p.text += chunk.delta;
      break;
    }
    case 'text-end':
      d.openTextIds = d.openTextIds.filter((x) => x !== chunk.id);
      break;
    case 'reasoning-start':
      d.partIndex[chunk.id] = d.parts.push({ type: 'reasoning', text: '' }) - 1;
      d.openReasoningIds.push(chunk.id);
      break;
    case 'reasoning-delta': {
      const p = d.parts[d.partIndex[chunk.id]];
      if (p?.type === 'reasoning') p.text += chunk.delta;
      break;
    }
    case 'reasoning-end':
      d.openReasoningIds = d.openReasoningIds.filter((x) => x !== chunk.id);
      break;
    case 'tool-input-start':
      d.partIndex[chunk.toolCallId] =
        d.parts.push({ type: 'dynamic-tool', toolCallId: chunk.toolCallId, toolName: chunk.toolName, state: 'input-streaming', input: undefined }) - 1;
      d.toolInputText[chunk.toolCallId] = '';
      break;
    case 'tool-input-delta':
      d.toolInputText[chunk.toolCallId] = (d.toolInputText[chunk.toolCallId] ?? '') + chunk.inputTextDelta;
      break;
    case 'tool-input-available': {
      let i = d.partIndex[chunk.toolCallId];
      if (i === undefined) {
        i = d.parts.push({ type: 'dynamic-tool', toolCallId: chunk.toolCallId, toolName: chunk.toolName, state: 'input-available', input: chunk.input }) - 1;
        d.partIndex[chunk.toolCallId] = i;
      }
      const p = d.parts[i];
      if (p.type === 'dynamic-tool') Object.assign(p, { state: 'input-available', input: chunk.input, toolName: chunk.toolName });
      delete d.toolInputText[chunk.toolCallId];
      d.toolStartedAt[chunk.toolCallId] = at;
      break;
    }
    case 'tool-output-available':
    case 'tool-output-error': {
      const p = d.parts[d.partIndex[chunk.toolCallId]];
      if (p?.type !== 'dynamic-tool') break;
      const started = d.toolStartedAt[chunk.toolCallId];
      const durationMs = started ? Math.max(0, Date.parse(at) - Date.parse(started)) : undefined;
      if (chunk.type === 'tool-output-available') Object.assign(p, { state: 'output-available', output: chunk.output });
      else Object.assign(p, { state: 'output-error', errorText: chunk.errorText });
      if (durationMs !== undefined) p.durationMs = durationMs;
      break;
    }
    case 'data-usage':
      d.usage = stripUsage(chunk.data);
      break;
    case 'data-elicitation': {
      const open = (d.openElicitations ??= {});
      if (chunk.data.status === 'pending') open[chunk.id] = chunk.data;
      else delete open[chunk.id];
      break;
    }
    case 'finish':
      d.status = 'complete';
      if (chunk.messageMetadata?.usage) d.usage = chunk.messageMetadata.usage;
      break;
    case 'abort':
      d.status = 'interrupted';
      break;
    case 'error':
      d.status = 'failed';
      d.error = chunk.errorText;
      break;
    default:
      break;
  }
  return d;
}

export function replayDraft(events: ConversationEvent[]): MessageDraft | null {
  let d: MessageDraft | null = null;
  for (const e of events) {
    if (e.chunk.type === 'start') d = newDraft(e.chunk.messageId, e.chunk.messageMetadata.runId, e.chunk.messageMetadata.model);
    else if (d) applyChunk(d, e.chunk, e.createdAt);
  }
  return d;
}

/** The chunks that close whatever the draft left open, so an AI SDK reader accepts the stream (used when a run ends early). */
export function closingChunks(d: MessageDraft, cancelledToolText: string): UiChunk[] {
  const out: UiChunk[] = [];
  for (const id of d.openReasoningIds) out.push({ type: 'reasoning-end', id });
  for (const id of d.openTextIds) out.push({ type: 'text-end', id });
  // A question nobody can answer any more: the same data part id with its final status replaces it in the client
  // (before the tool calls' cancellation, as a question ends before its call's output).
  for (const [id, data] of Object.entries(d.openElicitations ?? {})) {
    out.push({ type: 'data-elicitation', id, data: { ...data, status: 'cancelled' } });
  }
  for (const p of d.parts) {
    if (p.type !== 'dynamic-tool') continue;
    if (p.state === 'input-streaming') {
      out.push({ type: 'tool-input-available', toolCallId: p.toolCallId, toolName: p.toolName, input: parseLoose(d.toolInputText[p.toolCallId]), dynamic: true });
    }
    if (p.state === 'input-streaming' || p.state === 'input-available') {
      out.push({ type: 'tool-output-error', toolCallId: p.toolCallId, errorText: cancelledToolText, dynamic: true });
    }
  }
  return out;
}

/** Text the model produced in this draft (for token estimates). */
export const draftOutputText = (d: MessageDraft): string =>
  d.parts.map((p) => (p.type === 'text' || p.type === 'reasoning' ? p.text : p.type === 'dynamic-tool' ? JSON.stringify(p.input ?? '') : '')).join('');

function stripUsage(u: Usage & { messageId?: string; model?: string }): Usage {
  const { messageId: _m, model: _model, ...usage } = u;
  return usage;
}

function parseLoose(text: string | undefined): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { _raw: text };
  }
}
