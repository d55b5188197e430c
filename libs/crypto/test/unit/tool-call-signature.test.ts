import { randomBytes } from 'node:crypto';
import { signToolCall, verifyToolCall, type SignedToolCall } from '../../src/index.js';

describe('tool call signatures', () => {
  const key = randomBytes(32);
  const call: SignedToolCall = {
    userId: 'alice', harnessId: '0f8e7c3a-1b2d-4e5f-8a9b-0c1d2e3f4a5b', toolCallId: 'run.call_0', name: 'echo',
    input: { text: 'hi', nested: { b: 1, a: [1, { y: 2, x: 1 }] } }, timeoutMs: 60_000, signedAt: 1_764_000_000_000,
  };

  it('verifies the signature of the same call, whatever the order of the input keys or a JSON round trip', () => {
    const signature = signToolCall(key, call);
    expect(signature).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(verifyToolCall(key, call, signature)).toBe(true);
    const reordered = { ...call, input: { nested: { a: [1, { x: 1, y: 2 }], b: 1 }, text: 'hi' } };
    expect(verifyToolCall(key, reordered, signature)).toBe(true);
    expect(verifyToolCall(key, JSON.parse(JSON.stringify(call)) as SignedToolCall, signature)).toBe(true);
  });

  it('signs the conversation when given: adding, removing or changing it breaks the signature', () => {
    const withConversation = { ...call, conversationId: '2f8e7c3a-1b2d-4e5f-8a9b-0c1d2e3f4a5b' };
    const signature = signToolCall(key, withConversation);
    expect(verifyToolCall(key, withConversation, signature)).toBe(true);
    expect(verifyToolCall(key, call, signature)).toBe(false);
    expect(verifyToolCall(key, { ...withConversation, conversationId: '3f8e7c3a-1b2d-4e5f-8a9b-0c1d2e3f4a5b' }, signature)).toBe(false);
    expect(verifyToolCall(key, withConversation, signToolCall(key, call))).toBe(false);
  });

  it('refuses any change of a signed field, another key, and anything that is not the signature', () => {
    const signature = signToolCall(key, call);
    const changes: Partial<SignedToolCall>[] = [
      { userId: 'bob' }, { harnessId: '1f8e7c3a-1b2d-4e5f-8a9b-0c1d2e3f4a5b' }, { toolCallId: 'run.call_1' }, { name: 'fail' },
      { input: { text: 'hi!', nested: { b: 1, a: [1, { y: 2, x: 1 }] } } }, { input: undefined }, { timeoutMs: 60_001 }, { timeoutMs: undefined },
      { signedAt: 1_764_000_000_001 },
    ];
    for (const change of changes) expect(verifyToolCall(key, { ...call, ...change }, signature)).toBe(false);
    expect(verifyToolCall(randomBytes(32), call, signature)).toBe(false);
    for (const bad of [undefined, null, '', 'v1.', signature.slice(0, -1), `${signature}x`, 42, { signature }]) {
      expect(verifyToolCall(key, call, bad)).toBe(false);
    }
  });

  it('signs an absent input or timeout the same as null (they are absent after a JSON round trip)', () => {
    const bare = { ...call, input: undefined, timeoutMs: undefined };
    const signature = signToolCall(key, bare);
    expect(verifyToolCall(key, JSON.parse(JSON.stringify(bare)) as SignedToolCall, signature)).toBe(true);
    expect(verifyToolCall(key, { ...bare, input: null }, signature)).toBe(true);
  });
});
