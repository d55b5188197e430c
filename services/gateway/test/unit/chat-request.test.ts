import { clientMessageIdOf } from '../../src/ai-chat/chat-request.js';

describe('POST /v1/chat: the UI message id as the idempotency key', () => {
  it('is used when the chat service can store it, else the send has none (never a 500 from the store)', () => {
    expect(clientMessageIdOf('msg-1')).toBe('msg-1');
    expect(clientMessageIdOf('x'.repeat(200))).toBe('x'.repeat(200));
    expect(clientMessageIdOf('')).toBeUndefined();
    expect(clientMessageIdOf('x'.repeat(201))).toBeUndefined();
    // Found by test/e2e/fuzz-api.test.ts: U+0000 reached Postgres, which cannot store it.
    expect(clientMessageIdOf('a\u0000b')).toBeUndefined();
    expect(clientMessageIdOf('half \ud83d')).toBeUndefined();
    expect(clientMessageIdOf('whole 🙂')).toBe('whole 🙂');
  });
});
