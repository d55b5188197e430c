import { KeyedSlots } from '../../src/tools/call-tool/server-slots.js';

describe('KeyedSlots (per-server cap)', () => {
  const never = new AbortController().signal;

  it('lets `perKey` through per key and queues the rest in arrival order', async () => {
    const slots = new KeyedSlots(2);
    const a = await slots.acquire('s1', never);
    const b = await slots.acquire('s1', never);
    const other = await slots.acquire('s2', never);
    expect(slots.inUse('s1')).toBe(2);
    const order: string[] = [];
    const c = slots.acquire('s1', never).then((r) => (order.push('c'), r));
    const d = slots.acquire('s1', never).then((r) => (order.push('d'), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    a();
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(slots.inUse('s1')).toBe(2);
    b();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    releaseD();
    other();
    expect(slots.inUse('s1')).toBe(0);
    expect(slots.inUse('s2')).toBe(0);
  });

  it('a release called twice frees one slot only', async () => {
    const slots = new KeyedSlots(1);
    const a = await slots.acquire('s', never);
    a();
    a();
    expect(slots.inUse('s')).toBe(0);
    const b = await slots.acquire('s', never);
    expect(slots.inUse('s')).toBe(1);
    b();
  });

  it('an aborted waiter leaves the queue and rejects with the abort reason', async () => {
    const slots = new KeyedSlots(1);
    const a = await slots.acquire('s', never);
    const ctl = new AbortController();
    const waiting = slots.acquire('s', ctl.signal);
    ctl.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    a();
    expect(slots.inUse('s')).toBe(0);
    await expect(slots.acquire('s', ctl.signal)).rejects.toThrow('cancelled');
  });
});
