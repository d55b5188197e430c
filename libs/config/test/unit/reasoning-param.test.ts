import { loadConfig } from '../../src/index.js';

describe('LLM_REASONING_PARAM', () => {
  it('auto picks the shape from LLM_BASE_URL: OpenRouter (host or subdomain) or any other OpenAI-compatible API', () => {
    expect(loadConfig({}, 'chat').llm.reasoningParam).toBe('openrouter');
    expect(loadConfig({ LLM_BASE_URL: 'https://eu.openrouter.ai/api/v1' }, 'chat').llm.reasoningParam).toBe('openrouter');
    expect(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:4010/v1' }, 'chat').llm.reasoningParam).toBe('openai');
    expect(loadConfig({ LLM_BASE_URL: 'https://openrouter.ai.example.com/v1' }, 'chat').llm.reasoningParam).toBe('openai');
  });

  it('can be set explicitly, and refuses anything else', () => {
    expect(loadConfig({ LLM_REASONING_PARAM: 'openrouter', LLM_BASE_URL: 'http://127.0.0.1:4010/v1' }, 'chat').llm.reasoningParam).toBe('openrouter');
    expect(loadConfig({ LLM_REASONING_PARAM: 'openai' }, 'chat').llm.reasoningParam).toBe('openai');
    expect(loadConfig({ LLM_REASONING_PARAM: 'none' }, 'chat').llm.reasoningParam).toBe('none');
    expect(() => loadConfig({ LLM_REASONING_PARAM: 'anthropic' }, 'chat')).toThrow(/LLM_REASONING_PARAM/);
  });
});
