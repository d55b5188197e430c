import { storableJson, isStorableInJson, SendMessageCommand } from '../../src/index.js';

// Found by test/e2e/fuzz-api.test.ts: a message with half a surrogate pair reached the chat service, whose event
// writer then failed (jsonb refuses the `\ud83d` escape), so the conversation's writer lost ownership and the send was a 500.
describe('text the chat service stores in JSON events', () => {
  it('refuses NUL and unpaired surrogates, keeps whole pairs and everything else', () => {
    for (const ok of ['hi', '🙂👍🏽', 'é\u0001\u202e', '\\u0000 as text', '\\ud800 as text']) expect(isStorableInJson(ok)).toBe(true);
    for (const bad of ['a\u0000b', 'half \ud83d', '\ud83d', '\udc00 alone', '🙂\ude00', 'x\ud800\ud800y']) expect(isStorableInJson(bad)).toBe(false);
  });

  it('a send command with such content or idempotency key is invalid (the chat service answers validation_failed)', () => {
    const send = { userId: 'u', conversationId: '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f', content: 'hi' };
    expect(SendMessageCommand.safeParse(send).success).toBe(true);
    expect(SendMessageCommand.safeParse({ ...send, content: 'half \ud83d' }).success).toBe(false);
    expect(SendMessageCommand.safeParse({ ...send, clientMessageId: 'k\ud800' }).success).toBe(false);
  });
});

describe('storableJson: JSON that Postgres jsonb accepts, from any value', () => {
  it('stores NUL and unpaired surrogates as U+FFFD, keeps whole pairs and escaped backslashes as they are', () => {
    const value = { text: 'a\u0000b', cut: 'before \ud83d after', low: '\ude00 alone', pair: 'smile \ud83d\ude00', literal: 'a backslash-u: \\ud83d' };
    const back = JSON.parse(storableJson(value)) as typeof value;
    expect(back).toEqual({ text: 'a\ufffdb', cut: 'before \ufffd after', low: '\ufffd alone', pair: 'smile \ud83d\ude00', literal: 'a backslash-u: \\ud83d' });
    expect(storableJson({ plain: 'nothing to change' })).toBe(JSON.stringify({ plain: 'nothing to change' }));
  });
});
