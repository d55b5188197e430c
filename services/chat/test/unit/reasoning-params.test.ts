import { reasoningParams } from '../../src/llm/reasoning-params.js';

describe('reasoningParams', () => {
  it('sends the effort in the shape of the provider', () => {
    expect(reasoningParams('openrouter', 'high')).toEqual({ reasoning: { effort: 'high' } });
    expect(reasoningParams('openai', 'low')).toEqual({ reasoning_effort: 'low' });
  });

  it('sends nothing without an effort, or when turned off', () => {
    expect(reasoningParams('openrouter', null)).toEqual({});
    expect(reasoningParams('openai', null)).toEqual({});
    expect(reasoningParams('none', 'medium')).toEqual({});
  });
});
