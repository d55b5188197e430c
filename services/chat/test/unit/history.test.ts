import type { MessagePart } from '@harness/contracts';
import { assistantMessages, toChatMessages, toolResultText, type HistoryMessage } from '../../src/llm/history.js';

const user = (text: string): HistoryMessage => ({ role: 'user', status: 'complete', parts: [{ type: 'text', text }] });
const assistant = (parts: MessagePart[], status = 'complete'): HistoryMessage => ({ role: 'assistant', status, parts });
const tool = (over: Partial<Extract<MessagePart, { type: 'dynamic-tool' }>> & { toolCallId: string }): MessagePart => ({
  type: 'dynamic-tool', toolName: 'get_weather', state: 'output-available', input: { city: 'Paris' }, output: { tempC: 21 }, ...over,
});

describe('toChatMessages', () => {
  it('system prompt first (only when not blank), then users and assistants in order', () => {
    expect(toChatMessages('Be brief.', [user('hi'), assistant([{ type: 'text', text: 'hello' }]), user('bye')])).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'bye' },
    ]);
    expect(toChatMessages('   \n', [user('hi')])).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('reasoning is never sent back to the model', () => {
    const out = toChatMessages('', [
      user('q'),
      assistant([{ type: 'reasoning', text: 'SECRET CHAIN OF THOUGHT' }, { type: 'text', text: 'answer' }, { type: 'reasoning', text: 'more thoughts' }]),
    ]);
    expect(out).toEqual([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'answer' }]);
    expect(JSON.stringify(out)).not.toMatch(/SECRET|thoughts/);
  });

  it('an assistant message with only reasoning (failed before any text) is left out', () => {
    expect(toChatMessages('', [user('q'), assistant([{ type: 'reasoning', text: 'hmm' }], 'failed'), user('again')])).toEqual([
      { role: 'user', content: 'q' },
      { role: 'user', content: 'again' },
    ]);
    expect(toChatMessages('', [user('q'), assistant([], 'failed')])).toEqual([{ role: 'user', content: 'q' }]);
  });

  it('user text parts are joined', () => {
    expect(toChatMessages('', [{ role: 'user', status: 'complete', parts: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }])).toEqual([
      { role: 'user', content: 'ab' },
    ]);
  });

  it('tool parts become an assistant message with tool_calls followed by one tool message per call', () => {
    const out = toChatMessages('', [
      user("what's the weather and time?"),
      assistant([
        { type: 'reasoning', text: 'need tools' },
        { type: 'text', text: 'Checking.' },
        tool({ toolCallId: 'call_1' }),
        tool({ toolCallId: 'call_2', toolName: 'get_time', input: {}, state: 'output-error', output: undefined, errorText: 'timeout' }),
        { type: 'text', text: 'It is 21°C; the time is unknown.' },
      ]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: "what's the weather and time?" },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"tempC":21}' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Error: timeout' },
      { role: 'assistant', content: 'It is 21°C; the time is unknown.' },
    ]);
  });
});

describe('assistantMessages', () => {
  it('a step with tool calls and no text has content null', () => {
    expect(assistantMessages([tool({ toolCallId: 'c1', output: 'plain string result' })])).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'plain string result' },
    ]);
  });

  it('two tool steps in one message stay two assistant/tool rounds', () => {
    const out = assistantMessages([tool({ toolCallId: 'a' }), { type: 'text', text: 'then' }, tool({ toolCallId: 'b' })]);
    expect(out.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant', 'tool']);
    expect(out[2]).toMatchObject({ role: 'assistant', content: 'then', tool_calls: [{ id: 'b' }] });
  });

  it('a tool call without input sends {} as arguments', () => {
    const [m] = assistantMessages([tool({ toolCallId: 'x', input: undefined })]);
    expect(m).toMatchObject({ tool_calls: [{ function: { arguments: '{}' } }] });
  });

  it('nothing for no parts', () => {
    expect(assistantMessages([])).toEqual([]);
  });
});

describe('toolResultText', () => {
  it('output, error, and a call that never completed (interrupted run)', () => {
    expect(toolResultText(tool({ toolCallId: 'a', output: { ok: 1 } }) as Extract<MessagePart, { type: 'dynamic-tool' }>)).toBe('{"ok":1}');
    expect(toolResultText(tool({ toolCallId: 'a', state: 'output-error', errorText: 'denied' }) as Extract<MessagePart, { type: 'dynamic-tool' }>)).toBe('Error: denied');
    expect(toolResultText(tool({ toolCallId: 'a', state: 'output-error', errorText: undefined }) as Extract<MessagePart, { type: 'dynamic-tool' }>)).toBe('Error: tool call failed');
    expect(toolResultText(tool({ toolCallId: 'a', state: 'input-available', output: undefined }) as Extract<MessagePart, { type: 'dynamic-tool' }>)).toBe(
      'Error: the tool call did not complete',
    );
  });
});

describe('toolResultText of an MCP output', () => {
  type ToolPart = Extract<MessagePart, { type: 'dynamic-tool' }>;
  it('gives the model the described content, not the stored JSON', () => {
    const output = {
      content: [
        { type: 'text', text: 'weather: sunny' },
        { type: 'image', mimeType: 'image/png', bytes: 2048, omitted: true },
        { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt' },
      ],
      structuredContent: { temp: 21 },
    };
    expect(toolResultText(tool({ toolCallId: 'a', output }) as ToolPart)).toBe('weather: sunny\n[image: image/png, 2.0 KB]\n[resource: a.txt file:///a.txt]');
  });

  it('structured content alone is sent as JSON; an empty result says so', () => {
    expect(toolResultText(tool({ toolCallId: 'a', output: { content: [], structuredContent: { n: 1 } } }) as ToolPart)).toBe('{"n":1}');
    expect(toolResultText(tool({ toolCallId: 'a', output: { content: [] } }) as ToolPart)).toBe('[the tool returned no content]');
  });

  it('a long output is cut for the model with a visible marker', () => {
    const text = toolResultText(tool({ toolCallId: 'a', output: { content: [{ type: 'text', text: 'x'.repeat(50_000) }] } }) as ToolPart);
    expect(text.length).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(/…\[truncated: \d+ more characters\]$/);
  });
});

