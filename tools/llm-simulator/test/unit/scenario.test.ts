import { buildPlan, deltaJson } from '../../src/plan.js';
import {
  contentText,
  parseChatRequest,
  parseScenarioText,
  RequestError,
  selectScenario,
  toolHistory,
  type ChatMessage,
} from '../../src/scenario.js';
import { checkToolPairing } from '../../src/scenario.js';

const plan = (body: unknown) => buildPlan(parseChatRequest(body), { defaultTokensPerSecond: 0 });
const user = (content: unknown): ChatMessage => ({ role: 'user', content });

describe('parseScenarioText', () => {
  it('returns an empty scenario and the trimmed text when there is no @sim line', () => {
    expect(parseScenarioText('  hello world \n')).toEqual({ scenario: {}, scripted: false, userText: 'hello world' });
  });

  it('parses the JSON on the @sim line and removes that line from the user text', () => {
    const r = parseScenarioText('first line\n@sim {"text":"hi","tokensPerSecond":0}\nlast line');
    expect(r.scripted).toBe(true);
    expect(r.scenario).toEqual({ text: 'hi', tokensPerSecond: 0 });
    expect(r.userText).toBe('first line\nlast line');
  });

  it('accepts pretty-printed JSON spanning the following lines', () => {
    const r = parseScenarioText('question\n@sim {\n  "text": 5,\n  "reasoning": "why"\n}');
    expect(r.scenario).toEqual({ text: 5, reasoning: 'why' });
    expect(r.userText).toBe('question');
  });

  it('rejects invalid JSON, non-objects, unknown keys and wrong types with a clear message', () => {
    expect(() => parseScenarioText('@sim {not json')).toThrow(/Invalid @sim scenario: not valid JSON/);
    expect(() => parseScenarioText('@sim [1,2]')).toThrow(/expected a JSON object/);
    expect(() => parseScenarioText('@sim {"txt":"x"}')).toThrow(/Unrecognized key.*txt/);
    expect(() => parseScenarioText('@sim {"tokensPerSecond":-1}')).toThrow(/tokensPerSecond/);
    expect(() => parseScenarioText('@sim {"reasoningField":"thoughts"}')).toThrow(RequestError);
    expect(() => parseScenarioText('@sim {"status":200}')).toThrow(/status/);
    expect(() => parseScenarioText('@sim {"toolCalls":[{"arguments":{}}]}')).toThrow(/toolCalls\.0\.name/);
  });

  it('does not treat "@sim" without a following space as a scenario', () => {
    expect(parseScenarioText('@simulate {"text":"x"}').scripted).toBe(false);
  });
});

describe('selectScenario', () => {
  it('uses only the LAST user message, with string or text-part content', () => {
    const messages: ChatMessage[] = [
      user('@sim {"text":"old"}'),
      { role: 'assistant', content: 'x' },
      user([
        { type: 'text', text: 'part one' },
        { type: 'image_url', image_url: { url: 'data:' } },
        { type: 'text', text: '@sim {"text":"new"}' },
      ]),
      { role: 'assistant', content: 'later, not a user' },
    ];
    const r = selectScenario(messages);
    expect(r.scenario).toEqual({ text: 'new' });
    expect(r.userText).toBe('part one');
  });

  it('contentText ignores non-text parts and non-string content', () => {
    expect(contentText(null)).toBe('');
    expect(contentText(42)).toBe('');
    expect(contentText([{ type: 'text', text: 'a' }, { type: 'text' }, 'junk', { type: 'text', text: 'b' }])).toBe('a\nb');
  });
});

describe('toolHistory', () => {
  const call = { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] };
  it('counts trailing assistant(tool_calls)/tool rounds', () => {
    expect(toolHistory([user('u')])).toEqual({ rounds: 0, trailingToolContents: [] });
    expect(toolHistory([user('u'), call, { role: 'tool', content: 'r1' }, { role: 'tool', content: 'r2' }])).toEqual({
      rounds: 1,
      trailingToolContents: ['r1', 'r2'],
    });
    expect(
      toolHistory([user('u'), call, { role: 'tool', content: 'a' }, call, { role: 'tool', content: 'b' }]).rounds,
    ).toBe(2);
  });
});

describe('buildPlan', () => {
  it('echoes the user text without the @sim line, truncated to 200 chars', () => {
    const p = plan({ model: 'anything', messages: [user('x'.repeat(300) + '\n@sim {"tokensPerSecond":0}')] });
    expect(p.text).toBe('Echo: ' + 'x'.repeat(200));
    expect(p.reasoning).toBe('');
    expect(p.finishReason).toBe('stop');
    expect(p.chunks.map((c) => JSON.parse(deltaJson(p.reasoningField, c)).content).join('')).toBe(p.text);
  });

  it('generates N deterministic words seeded by the prompt', () => {
    const a = plan({ model: 'sim/echo', messages: [user('seed A\n@sim {"text":12}')] });
    const b = plan({ model: 'sim/echo', messages: [user('seed A\n@sim {"text":12}')] });
    const c = plan({ model: 'sim/echo', messages: [user('seed B\n@sim {"text":12}')] });
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    expect(a.text.split(' ')).toHaveLength(12);
  });

  it('sim/reasoning reasons by default; reasoning_details also sets delta.reasoning', () => {
    expect(plan({ model: 'sim/reasoning', messages: [user('hi')] }).reasoning).not.toBe('');
    const p = plan({ model: 'sim/echo', messages: [user('@sim {"reasoning":"think hard","reasoningField":"reasoning_details"}')] });
    const d = JSON.parse(deltaJson(p.reasoningField, p.chunks[0]));
    expect(d.reasoning).toBe('think');
    expect(d.reasoning_details).toEqual([{ type: 'reasoning.text', text: 'think', format: 'unknown', index: 0 }]);
    expect(p.chunks[0].kind).toBe('reasoning');
  });

  it('scripted tool calls: no text by default, tool_calls finish, steps and afterTools', () => {
    const scenario = '@sim {"toolCalls":[{"name":"f","arguments":{"a":1}}],"steps":2,"afterTools":"done"}';
    const p1 = plan({ model: 'm', messages: [user(scenario)] });
    expect(p1.text).toBe('');
    expect(p1.finishReason).toBe('tool_calls');
    expect(p1.toolCalls).toEqual([{ id: 'call_sim_0_0', name: 'f', arguments: '{"a":1}' }]);

    const round = (id: string) => [
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: id, content: 'result ' + id },
    ];
    const p2 = plan({ model: 'm', messages: [user(scenario), ...round('call_sim_0_0')] });
    expect(p2.toolCalls.map((t) => t.id)).toEqual(['call_sim_1_0']);
    const p3 = plan({ model: 'm', messages: [user(scenario), ...round('a'), ...round('b')] });
    expect(p3.toolCalls).toEqual([]);
    expect(p3.text).toBe('done');
    expect(p3.finishReason).toBe('stop');
  });

  it('answers tool results with "Tool results: …" when no afterTools is given', () => {
    const p = plan({
      model: 'm',
      messages: [
        user('@sim {"toolCalls":[{"name":"f","arguments":{}}]}'),
        { role: 'assistant', content: null, tool_calls: ['x', 'y'].map((id) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } })) },
        { role: 'tool', tool_call_id: 'x', content: 'one' },
        { role: 'tool', tool_call_id: 'y', content: 'y'.repeat(250) },
      ],
    });
    expect(p.text).toBe('Tool results: one; ' + 'y'.repeat(200));
  });

  it('usage and cost flags follow stream_options.include_usage / usage.include / scenario usage:false', () => {
    const m = [user('hi')];
    expect(plan({ model: 'm', messages: m }).sendUsage).toBe(false);
    const a = plan({ model: 'm', messages: m, stream_options: { include_usage: true } });
    expect([a.sendUsage, a.includeCost]).toEqual([true, false]);
    const b = plan({ model: 'm', messages: m, usage: { include: true } });
    expect([b.sendUsage, b.includeCost]).toEqual([true, true]);
    expect(plan({ model: 'm', messages: [user('@sim {"usage":false}')], usage: { include: true } }).sendUsage).toBe(false);
  });

  it('prompt tokens are ceil(chars/4) over all message contents', () => {
    const p = plan({ model: 'm', messages: [{ role: 'system', content: 'abcde' }, user('abcd')] });
    expect(p.promptTokens).toBe(3);
  });

  it('picks the earliest fault when several are given', () => {
    const p = plan({ model: 'm', messages: [user('@sim {"errorAfter":5,"stallAfter":2,"malformedAfter":9}')] });
    expect(p.fault).toEqual({ kind: 'stall', after: 2 });
  });

  it('rejects requests without model or messages', () => {
    expect(() => parseChatRequest({ messages: [user('x')] })).toThrow(/model/);
    expect(() => parseChatRequest({ model: 'm' })).toThrow(/messages/);
    expect(() => parseChatRequest({ model: 'm', messages: [] })).toThrow(RequestError);
    expect(() => parseChatRequest('nope')).toThrow(RequestError);
  });
});

describe('checkToolPairing (as a real provider refuses a broken tool history)', () => {
  const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
  const user = { role: 'user', content: 'hi' };

  it('accepts calls each answered by a tool message, in any order', () => {
    expect(() =>
      checkToolPairing([user, { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] }, { role: 'tool', tool_call_id: 'b', content: '1' }, { role: 'tool', tool_call_id: 'a', content: '2' }, user]),
    ).not.toThrow();
  });

  it('refuses a call without an answer, naming it', () => {
    expect(() => checkToolPairing([user, { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] }, { role: 'tool', tool_call_id: 'a', content: '1' }, user])).toThrow(
      /tool_call_ids did not have response messages: b/,
    );
  });

  it('refuses a tool message that answers nothing', () => {
    expect(() => checkToolPairing([user, { role: 'tool', tool_call_id: 'a', content: '1' }])).toThrow(/must be a response/);
    expect(() => checkToolPairing([user, { role: 'assistant', content: null, tool_calls: [call('a')] }, { role: 'tool', tool_call_id: 'x', content: '1' }])).toThrow(/unknown tool_call_id/);
  });
});
