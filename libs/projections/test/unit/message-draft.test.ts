import type { ConversationEvent, UiChunk, Usage } from '@harness/contracts';
import { applyChunk, closingChunks, draftOutputText, newDraft, replayDraft, type MessageDraft } from '@harness/projections';

// The pure assistant-message reducer shared by the chat service (live draft) and the projections (rebuild).

const T0 = '2026-11-27T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const usage: Usage = { promptTokens: 10, completionTokens: 20, reasoningTokens: 5, totalTokens: 30, cost: 0.001, source: 'provider', costSource: 'provider' };

const apply = (d: MessageDraft, chunks: UiChunk[], start = 0) => chunks.reduce((acc, c, i) => applyChunk(acc, c, at(start + i * 10)), d);

const events = (runId: string, chunks: UiChunk[]): ConversationEvent[] =>
  chunks.map((chunk, i) => ({ conversationId: 'c1', seq: i + 1, prev: i, runId, chunk, createdAt: at(i * 10) }));

const START: UiChunk = { type: 'start', messageId: 'm1', messageMetadata: { runId: 'r1', model: 'sim/echo' } };

describe('applyChunk', () => {
  it('assembles reasoning and text parts from their deltas, in order', () => {
    const d = apply(newDraft('m1', 'r1', 'sim/echo'), [
      { type: 'start-step' },
      { type: 'reasoning-start', id: 'r-1' },
      { type: 'reasoning-delta', id: 'r-1', delta: 'think ' },
      { type: 'reasoning-delta', id: 'r-1', delta: 'hard' },
      { type: 'reasoning-end', id: 'r-1' },
      { type: 'text-start', id: 't-2' },
      { type: 'text-delta', id: 't-2', delta: 'Hello' },
      { type: 'text-delta', id: 't-2', delta: ' world' },
      { type: 'text-end', id: 't-2' },
      { type: 'finish-step' },
    ]);
    expect(d.parts).toEqual([{ type: 'reasoning', text: 'think hard' }, { type: 'text', text: 'Hello world' }]);
    expect(d.openTextIds).toEqual([]);
    expect(d.openReasoningIds).toEqual([]);
    expect(d.status).toBe('streaming');
  });

  it('tracks open parts until their end', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [{ type: 'reasoning-start', id: 'a' }, { type: 'reasoning-end', id: 'a' }, { type: 'text-start', id: 'b' }]);
    expect(d.openReasoningIds).toEqual([]);
    expect(d.openTextIds).toEqual(['b']);
  });

  it('a delta for an unknown id or of the wrong kind is ignored', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'text-delta', id: 'nope', delta: 'x' },
      { type: 'reasoning-start', id: 'a' },
      { type: 'text-delta', id: 'a', delta: 'wrong kind' },
      { type: 'reasoning-delta', id: 'a', delta: 'ok' },
    ]);
    expect(d.parts).toEqual([{ type: 'reasoning', text: 'ok' }]);
  });

  it('a tool call goes input-streaming → input-available → output-available with its duration', () => {
    const d = newDraft('m1', 'r1', 'm');
    applyChunk(d, { type: 'tool-input-start', toolCallId: 'c1', toolName: 'get_weather', dynamic: true }, at(0));
    expect(d.parts[0]).toMatchObject({ type: 'dynamic-tool', state: 'input-streaming', input: undefined });
    applyChunk(d, { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"city":' }, at(5));
    applyChunk(d, { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '"Oslo"}' }, at(6));
    expect(d.toolInputText.c1).toBe('{"city":"Oslo"}');
    applyChunk(d, { type: 'tool-input-available', toolCallId: 'c1', toolName: 'get_weather', input: { city: 'Oslo' }, dynamic: true }, at(10));
    expect(d.toolInputText).toEqual({});
    applyChunk(d, { type: 'tool-output-available', toolCallId: 'c1', output: { tempC: 3 }, dynamic: true }, at(260));
    expect(d.parts).toEqual([
      { type: 'dynamic-tool', toolCallId: 'c1', toolName: 'get_weather', state: 'output-available', input: { city: 'Oslo' }, output: { tempC: 3 }, durationMs: 250 },
    ]);
  });

  it('tool-input-available without a start creates the part; an error output records errorText', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'tool-input-available', toolCallId: 'c9', toolName: 'search', input: { q: 'x' }, dynamic: true },
      { type: 'tool-output-error', toolCallId: 'c9', errorText: 'server unreachable', dynamic: true },
    ]);
    expect(d.parts).toEqual([
      { type: 'dynamic-tool', toolCallId: 'c9', toolName: 'search', state: 'output-error', input: { q: 'x' }, errorText: 'server unreachable', durationMs: 10 },
    ]);
  });

  it('output for an unknown tool call is ignored', () => {
    const d = applyChunk(newDraft('m1', 'r1', 'm'), { type: 'tool-output-available', toolCallId: 'ghost', output: 1 }, T0);
    expect(d.parts).toEqual([]);
  });

  it('terminal chunks set the status; finish carries usage; error carries the text', () => {
    const done = apply(newDraft('m1', 'r1', 'm'), [{ type: 'finish', finishReason: 'stop', messageMetadata: { usage } }]);
    expect(done).toMatchObject({ status: 'complete', usage, error: null });
    expect(applyChunk(newDraft('m1', 'r1', 'm'), { type: 'abort', reason: 'interrupted' }, T0).status).toBe('interrupted');
    expect(applyChunk(newDraft('m1', 'r1', 'm'), { type: 'error', errorText: 'the LLM answered HTTP 429' }, T0)).toMatchObject({
      status: 'failed', error: 'the LLM answered HTTP 429',
    });
  });

  it('data-usage sets the usage without messageId/model', () => {
    const d = applyChunk(newDraft('m1', 'r1', 'm'), { type: 'data-usage', data: { ...usage, messageId: 'm1', model: 'm' }, transient: true }, T0);
    expect(d.usage).toEqual(usage);
  });

  it('a finish without usage keeps the usage from data-usage', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'data-usage', data: { ...usage, messageId: 'm1' }, transient: true },
      { type: 'finish', finishReason: 'stop' },
    ]);
    expect(d.usage).toEqual(usage);
  });
});

describe('replayDraft', () => {
  it('null without a start', () => {
    expect(replayDraft(events('r1', [{ type: 'text-delta', id: 'x', delta: 'y' }]))).toBeNull();
    expect(replayDraft([])).toBeNull();
  });

  it('rebuilds the same draft as applying the chunks live', () => {
    const chunks: UiChunk[] = [
      { type: 'start-step' },
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'hmm' },
      { type: 'reasoning-end', id: 'r' },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'part' },
      { type: 'tool-input-start', toolCallId: 'c', toolName: 'f', dynamic: true },
    ];
    const live = newDraft('m1', 'r1', 'sim/echo');
    chunks.forEach((c, i) => applyChunk(live, c, at((i + 1) * 10)));
    const replayed = replayDraft(events('r1', [START, ...chunks]));
    expect(replayed).toEqual(live);
  });

  it('a second start (regenerate in the same list) starts over', () => {
    const d = replayDraft(events('r1', [
      START,
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'old' },
      { type: 'start', messageId: 'm2', messageMetadata: { runId: 'r2', model: 'x' } },
    ]));
    expect(d).toMatchObject({ messageId: 'm2', runId: 'r2', model: 'x', parts: [] });
  });
});

describe('closingChunks', () => {
  it('nothing to close on a clean draft', () => {
    expect(closingChunks(newDraft('m1', 'r1', 'm'), 'cancelled')).toEqual([]);
  });

  it('closes open reasoning and text, finishes streaming and pending tool calls as cancelled errors', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'reasoning-start', id: 'r' },
      { type: 'text-start', id: 't' },
      { type: 'tool-input-start', toolCallId: 'streaming', toolName: 'f', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'streaming', inputTextDelta: '{"a":1}' },
      { type: 'tool-input-start', toolCallId: 'broken', toolName: 'g', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'broken', inputTextDelta: '{"a":' },
      { type: 'tool-input-start', toolCallId: 'empty', toolName: 'h', dynamic: true },
      { type: 'tool-input-available', toolCallId: 'waiting', toolName: 'k', input: {}, dynamic: true },
      { type: 'tool-input-available', toolCallId: 'done', toolName: 'l', input: {}, dynamic: true },
      { type: 'tool-output-available', toolCallId: 'done', output: 'ok', dynamic: true },
    ]);
    expect(closingChunks(d, 'cancelled: stopped')).toEqual([
      { type: 'reasoning-end', id: 'r' },
      { type: 'text-end', id: 't' },
      { type: 'tool-input-available', toolCallId: 'streaming', toolName: 'f', input: { a: 1 }, dynamic: true },
      { type: 'tool-output-error', toolCallId: 'streaming', errorText: 'cancelled: stopped', dynamic: true },
      { type: 'tool-input-available', toolCallId: 'broken', toolName: 'g', input: { _raw: '{"a":' }, dynamic: true },
      { type: 'tool-output-error', toolCallId: 'broken', errorText: 'cancelled: stopped', dynamic: true },
      { type: 'tool-input-available', toolCallId: 'empty', toolName: 'h', input: {}, dynamic: true },
      { type: 'tool-output-error', toolCallId: 'empty', errorText: 'cancelled: stopped', dynamic: true },
      { type: 'tool-output-error', toolCallId: 'waiting', errorText: 'cancelled: stopped', dynamic: true },
    ]);
  });

  it('cancels the questions to the user (elicitations) still pending, before the calls that asked them', () => {
    const question = (id: string, status: 'pending' | 'accepted') => ({
      type: 'data-elicitation' as const, id, data: { elicitationId: id, serverName: 's', message: 'q?', requestedSchema: { type: 'object', properties: {} }, status },
    });
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'tool-input-available', toolCallId: 'asking', toolName: 'ask', input: {}, dynamic: true },
      question('el_answered', 'pending'),
      question('el_open', 'pending'),
      question('el_answered', 'accepted'),
    ]);
    const closing = closingChunks(d, 'cancelled');
    expect(closing).toEqual([
      { ...question('el_open', 'pending'), data: { ...question('el_open', 'pending').data, status: 'cancelled' } },
      { type: 'tool-output-error', toolCallId: 'asking', errorText: 'cancelled', dynamic: true },
    ]);
    expect(closingChunks(apply(d, closing), 'cancelled')).toEqual([]);
  });

  it('applying the closing chunks leaves nothing open (idempotent close)', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'partial' },
      { type: 'tool-input-start', toolCallId: 'c', toolName: 'f', dynamic: true },
    ]);
    apply(d, closingChunks(d, 'cancelled'), 1000);
    expect(closingChunks(d, 'cancelled')).toEqual([]);
    expect(d.parts).toEqual([
      { type: 'text', text: 'partial' },
      { type: 'dynamic-tool', toolCallId: 'c', toolName: 'f', state: 'output-error', input: {}, errorText: 'cancelled', durationMs: 10 },
    ]);
  });
});

describe('draftOutputText', () => {
  it('text, reasoning and tool inputs', () => {
    const d = apply(newDraft('m1', 'r1', 'm'), [
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'abc' },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'de' },
      { type: 'tool-input-available', toolCallId: 'c', toolName: 'f', input: { x: 1 }, dynamic: true },
    ]);
    expect(draftOutputText(d)).toBe('abcde{"x":1}');
  });
});
