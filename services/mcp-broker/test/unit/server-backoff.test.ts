import { ServerBackoff } from '../../src/sessions/server-backoff.js';

describe('ServerBackoff', () => {
  it('doubles the delay per failure up to the maximum, and a success clears it', () => {
    const backoff = new ServerBackoff(100, 1_000);
    expect([1, 2, 3, 4, 5].map(() => backoff.recordFailure('https://a.example/mcp', 0))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoff.remainingMs('https://a.example/mcp', 600)).toBe(400);
    backoff.recordSuccess('https://a.example/mcp');
    expect(backoff.remainingMs('https://a.example/mcp', 600)).toBe(0);
    expect(backoff.size).toBe(0);
  });

  it('holds at most maxEntries keys, however many one user makes up: the key that failed longest ago goes first', () => {
    const backoff = new ServerBackoff(100, 1_000, 50);
    for (let i = 0; i < 10_000; i++) backoff.recordFailure(`https://attacker-${i}.example/mcp`, i);
    expect(backoff.size).toBe(50);
    expect(backoff.remainingMs('https://attacker-9999.example/mcp', 9_999)).toBe(100);
    expect(backoff.remainingMs('https://attacker-9949.example/mcp', 9_999)).toBe(0);
    // A repeated failure moves its key to the end: it is not the next to go.
    backoff.recordFailure('https://attacker-9950.example/mcp', 10_000);
    backoff.recordFailure('https://new.example/mcp', 10_000);
    expect(backoff.remainingMs('https://attacker-9950.example/mcp', 10_000)).toBe(200);
    expect(backoff.remainingMs('https://attacker-9951.example/mcp', 10_000)).toBe(0);
  });

  it('forgets keys whose delay ended more than maxMs ago (the sweep, and the count starts over)', () => {
    const backoff = new ServerBackoff(100, 1_000);
    backoff.recordFailure('a', 0);
    backoff.recordFailure('a', 0);
    backoff.recordFailure('b', 5_000);
    backoff.sweep(1_199);
    expect(backoff.size).toBe(2);
    backoff.sweep(1_200);
    expect(backoff.size).toBe(1);
    expect(backoff.remainingMs('b', 5_000)).toBe(100);
    // 'b' failed again long after its delay: back to the first delay, not doubled.
    expect(backoff.recordFailure('b', 10_000)).toBe(100);
  });

  it('sweeps before evicting: a full map of ended delays makes room without dropping a live one', () => {
    const backoff = new ServerBackoff(100, 1_000, 3);
    backoff.recordFailure('old-1', 0);
    backoff.recordFailure('old-2', 0);
    backoff.recordFailure('live', 5_000);
    backoff.recordFailure('new', 5_050);
    expect(backoff.size).toBe(2);
    expect(backoff.remainingMs('live', 5_050)).toBe(50);
    expect(backoff.remainingMs('new', 5_050)).toBe(100);
  });
});
