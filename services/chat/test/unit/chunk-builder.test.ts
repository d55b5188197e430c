import type { UiChunk } from '@harness/contracts';
import { ChunkBuilder } from '../../src/llm/chunk-builder.js';

// ChunkBuilder turns provider deltas into AI SDK UI chunks: text and reasoning bracketed by -start/-end in the order
// they happened, tool calls reassembled by index.

type Step = { r?: string; t?: string; tool?: [index: number, id: string | undefined, name: string | undefined, args: string | undefined] };

function build(steps: Step[], prefix = 'run1-s1') {
  const b = new ChunkBuilder(prefix);
  const chunks: UiChunk[] = [];
  for (const s of steps) {
    if (s.r !== undefined) chunks.push(...b.reasoning(s.r));
    if (s.t !== undefined) chunks.push(...b.text(s.t));
    if (s.tool) chunks.push(...b.toolCall(...s.tool));
  }
  const end = b.endStep();
  chunks.push(...end.chunks);
  return { chunks, calls: end.calls };
}

/** Fails unless every delta sits between its own start and end, at most one part is open, and every part is closed. */
function assertBracketed(chunks: UiChunk[]) {
  let open: { kind: string; id: string } | null = null;
  const seen = new Set<string>();
  for (const [i, c] of chunks.entries()) {
    const at = `chunk #${i} ${JSON.stringify(c)}`;
    if (c.type === 'text-start' || c.type === 'reasoning-start') {
      expect({ at, open }).toEqual({ at, open: null });
      expect(seen.has(c.id)).toBe(false);
      seen.add(c.id);
      open = { kind: c.type.split('-')[0], id: c.id };
    } else if (c.type === 'text-delta' || c.type === 'reasoning-delta') {
      expect({ at, open }).toEqual({ at, open: { kind: c.type.split('-')[0], id: c.id } });
    } else if (c.type === 'text-end' || c.type === 'reasoning-end') {
      expect({ at, open }).toEqual({ at, open: { kind: c.type.split('-')[0], id: c.id } });
      open = null;
    } else if (c.type.startsWith('tool-')) {
      expect({ at, open }).toEqual({ at, open: null });
    }
  }
  expect(open).toBeNull();
}

describe('ChunkBuilder: text and reasoning', () => {
  it('brackets reasoning then text with unique ids, in order', () => {
    const { chunks, calls } = build([{ r: 'Think' }, { r: 'ing.' }, { t: 'Hel' }, { t: 'lo' }]);
    expect(chunks).toEqual([
      { type: 'reasoning-start', id: 'run1-s1-r1' },
      { type: 'reasoning-delta', id: 'run1-s1-r1', delta: 'Think' },
      { type: 'reasoning-delta', id: 'run1-s1-r1', delta: 'ing.' },
      { type: 'reasoning-end', id: 'run1-s1-r1' },
      { type: 'text-start', id: 'run1-s1-t2' },
      { type: 'text-delta', id: 'run1-s1-t2', delta: 'Hel' },
      { type: 'text-delta', id: 'run1-s1-t2', delta: 'lo' },
      { type: 'text-end', id: 'run1-s1-t2' },
    ]);
    expect(calls).toEqual([]);
    assertBracketed(chunks);
  });

  it('switching kinds back and forth closes the open part each time and opens a new one', () => {
    const { chunks } = build([{ t: 'a' }, { r: 'b' }, { t: 'c' }, { r: 'd' }, { r: 'e' }, { t: 'f' }]);
    assertBracketed(chunks);
    expect(chunks.map((c) => c.type)).toEqual([
      'text-start', 'text-delta', 'text-end',
      'reasoning-start', 'reasoning-delta', 'reasoning-end',
      'text-start', 'text-delta', 'text-end',
      'reasoning-start', 'reasoning-delta', 'reasoning-delta', 'reasoning-end',
      'text-start', 'text-delta', 'text-end',
    ]);
    const texts = chunks.filter((c): c is Extract<UiChunk, { type: 'text-delta' }> => c.type === 'text-delta').map((c) => c.delta);
    expect(texts.join('')).toBe('acf');
  });

  it('empty deltas produce nothing and do not open a part', () => {
    const b = new ChunkBuilder('p');
    expect(b.text('')).toEqual([]);
    expect(b.reasoning('')).toEqual([]);
    expect(b.closeOpen()).toEqual([]);
    expect(b.endStep()).toEqual({ chunks: [], calls: [] });
  });

  it('closeOpen closes the open part once', () => {
    const b = new ChunkBuilder('p');
    b.text('x');
    expect(b.closeOpen()).toEqual([{ type: 'text-end', id: 'p-t1' }]);
    expect(b.closeOpen()).toEqual([]);
  });

  it('many random interleavings stay bracketed and lose no delta', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const steps: Step[] = [];
      let text = '';
      let reasoning = '';
      for (let i = 0; i < 30; i++) {
        const piece = rnd() < 0.1 ? '' : String.fromCharCode(97 + Math.floor(rnd() * 26));
        const k = rnd();
        if (k < 0.45) { steps.push({ t: piece }); text += piece; }
        else if (k < 0.9) { steps.push({ r: piece }); reasoning += piece; }
        else steps.push({ tool: [Math.floor(rnd() * 2), undefined, 'tool', '{}'] });
      }
      const { chunks } = build(steps, `r${round}`);
      assertBracketed(chunks);
      const joined = (type: string) => chunks.filter((c) => c.type === type).map((c) => (c as { delta: string }).delta).join('');
      expect(joined('text-delta')).toBe(text);
      expect(joined('reasoning-delta')).toBe(reasoning);
    }
  });
});

describe('ChunkBuilder: tool calls', () => {
  it('a tool call delta closes the open text part first', () => {
    const { chunks } = build([{ t: 'Let me check.' }, { tool: [0, 'call_1', 'get_weather', ''] }, { tool: [0, undefined, undefined, '{"city":"Paris"}'] }]);
    assertBracketed(chunks);
    expect(chunks).toEqual([
      { type: 'text-start', id: 'run1-s1-t1' },
      { type: 'text-delta', id: 'run1-s1-t1', delta: 'Let me check.' },
      { type: 'text-end', id: 'run1-s1-t1' },
      { type: 'tool-input-start', toolCallId: 'call_1', toolName: 'get_weather', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"city":"Paris"}' },
      { type: 'tool-input-available', toolCallId: 'call_1', toolName: 'get_weather', input: { city: 'Paris' }, dynamic: true },
    ]);
  });

  it('interleaved deltas of two calls reassemble by index; calls come back in index order', () => {
    const { chunks, calls } = build([
      { tool: [1, 'call_b', 'get_time', ''] },
      { tool: [0, 'call_a', 'get_weather', ''] },
      { tool: [0, undefined, undefined, '{"ci'] },
      { tool: [1, undefined, undefined, '{"tz"'] },
      { tool: [0, undefined, undefined, 'ty":"Oslo"}'] },
      { tool: [1, undefined, undefined, ':"UTC"}'] },
    ]);
    assertBracketed(chunks);
    expect(calls).toEqual([
      { toolCallId: 'call_a', toolName: 'get_weather', input: { city: 'Oslo' }, argumentsText: '{"city":"Oslo"}' },
      { toolCallId: 'call_b', toolName: 'get_time', input: { tz: 'UTC' }, argumentsText: '{"tz":"UTC"}' },
    ]);
    const argsOf = (id: string) =>
      chunks.filter((c): c is Extract<UiChunk, { type: 'tool-input-delta' }> => c.type === 'tool-input-delta' && c.toolCallId === id).map((c) => c.inputTextDelta).join('');
    expect(argsOf('call_a')).toBe('{"city":"Oslo"}');
    expect(argsOf('call_b')).toBe('{"tz":"UTC"}');
    // Each call starts before its first delta and is made available once, after all of them.
    for (const id of ['call_a', 'call_b']) {
      const idx = (type: string) => chunks.findIndex((c) => c.type === type && (c as { toolCallId: string }).toolCallId === id);
      const lastDelta = chunks.map((c, i) => (c.type === 'tool-input-delta' && c.toolCallId === id ? i : -1)).reduce((a, b) => Math.max(a, b));
      expect(idx('tool-input-start')).toBeLessThan(idx('tool-input-delta'));
      expect(idx('tool-input-available')).toBeGreaterThan(lastDelta);
      expect(chunks.filter((c) => c.type === 'tool-input-available' && c.toolCallId === id)).toHaveLength(1);
    }
  });

  it('arguments that arrive before the name are buffered and sent right after tool-input-start', () => {
    const { chunks } = build([{ tool: [0, 'call_x', undefined, '{"q":'] }, { tool: [0, undefined, 'search', '"cats"}'] }]);
    expect(chunks).toEqual([
      { type: 'tool-input-start', toolCallId: 'call_x', toolName: 'search', dynamic: true },
      { type: 'tool-input-delta', toolCallId: 'call_x', inputTextDelta: '{"q":' },
      { type: 'tool-input-delta', toolCallId: 'call_x', inputTextDelta: '"cats"}' },
      { type: 'tool-input-available', toolCallId: 'call_x', toolName: 'search', input: { q: 'cats' }, dynamic: true },
    ]);
  });

  it('a call without id or name gets a generated id and "unknown_tool"; empty arguments are {}', () => {
    const { chunks, calls } = build([{ tool: [3, undefined, undefined, undefined] }], 'abcd1234-s2');
    expect(chunks).toEqual([
      { type: 'tool-input-start', toolCallId: 'abcd1234-s2-call-3', toolName: 'unknown_tool', dynamic: true },
      { type: 'tool-input-available', toolCallId: 'abcd1234-s2-call-3', toolName: 'unknown_tool', input: {}, dynamic: true },
    ]);
    expect(calls).toEqual([{ toolCallId: 'abcd1234-s2-call-3', toolName: 'unknown_tool', input: {}, argumentsText: '{}' }]);
  });

  it('invalid JSON arguments are kept raw under _invalidJson (the step does not crash)', () => {
    const { chunks, calls } = build([{ tool: [0, 'call_bad', 'f', '{"a": 1,'] }, { tool: [0, undefined, undefined, ' oops'] }]);
    expect(calls).toEqual([{ toolCallId: 'call_bad', toolName: 'f', input: { _invalidJson: '{"a": 1, oops' }, argumentsText: '{"a": 1, oops' }]);
    expect(chunks.at(-1)).toEqual({ type: 'tool-input-available', toolCallId: 'call_bad', toolName: 'f', input: { _invalidJson: '{"a": 1, oops' }, dynamic: true });
  });

  it('endStep forgets the calls of the step', () => {
    const b = new ChunkBuilder('p');
    b.toolCall(0, 'c1', 'f', '{}');
    expect(b.endStep().calls).toHaveLength(1);
    expect(b.endStep()).toEqual({ chunks: [], calls: [] });
  });

  it('text after a tool call opens a new bracketed text part', () => {
    const { chunks } = build([{ tool: [0, 'c1', 'f', '{}'] }, { t: 'done' }]);
    assertBracketed(chunks);
    expect(chunks.map((c) => c.type)).toEqual(['tool-input-start', 'tool-input-delta', 'text-start', 'text-delta', 'text-end', 'tool-input-available']);
  });
});
