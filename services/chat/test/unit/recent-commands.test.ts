import { ActorClosedError } from '../../src/conversation/actor-command.js';
import { RecentCommands } from '../../src/conversation/recent-commands.js';

describe('RecentCommands', () => {
  it('runs a command id once: a second arrival gets the first outcome, success or domain failure', async () => {
    const recent = new RecentCommands();
    let runs = 0;
    const fn = async () => ++runs;
    expect(await recent.run('a', fn)).toBe(1);
    expect(await recent.run('a', fn)).toBe(1);
    const failing = () => Promise.reject(new Error('refused'));
    await expect(recent.run('b', failing)).rejects.toThrow('refused');
    await expect(recent.run('b', fn)).rejects.toThrow('refused');
    expect(runs).toBe(1);
  });

  it('forgets a command refused before it ran (owner closed), so the next owner may run it', async () => {
    const recent = new RecentCommands();
    await expect(recent.run('a', () => Promise.reject(new ActorClosedError()))).rejects.toBeInstanceOf(ActorClosedError);
    await new Promise((r) => setImmediate(r));
    expect(await recent.run('a', async () => 'ran')).toBe('ran');
  });

  it('without an id every call runs', async () => {
    const recent = new RecentCommands();
    let runs = 0;
    await recent.run(undefined, async () => ++runs);
    await recent.run(undefined, async () => ++runs);
    expect(runs).toBe(2);
    expect(recent.size).toBe(0);
  });

  it('is bounded in count (oldest first) and age', async () => {
    let now = 0;
    const recent = new RecentCommands(3, 1_000, () => now);
    for (const id of ['a', 'b', 'c', 'd']) await recent.run(id, async () => id);
    expect(recent.size).toBe(3);
    expect(await recent.run('a', async () => 'again')).toBe('again'); // 'a' was evicted
    now = 5_000;
    expect(await recent.run('b', async () => 'fresh')).toBe('fresh'); // expired
    expect(recent.size).toBe(1);
  });
});
