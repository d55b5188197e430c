import { BoundedMap, GenerationIds, RequestLog } from '../../src/generations.js';

describe('generation store and request log', () => {
  it('generation ids look like gen-<counter>-<random>', () => {
    const ids = new GenerationIds();
    const a = ids.next();
    const b = ids.next();
    expect(a).toMatch(/^gen-1-[0-9a-f]{12}$/);
    expect(b).toMatch(/^gen-2-[0-9a-f]{12}$/);
  });

  it('evicts the oldest entries beyond the bound', () => {
    const m = new BoundedMap<number>(3);
    for (let i = 0; i < 5; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect(m.get('k0')).toBeUndefined();
    expect(m.get('k1')).toBeUndefined();
    expect(m.get('k4')).toBe(4);
  });

  it('keeps the last N request bodies, newest last', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) log.add({ i });
    expect(log.last(10)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }]);
    expect(log.last(1)).toEqual([{ i: 4 }]);
    expect(log.last(0)).toEqual([]);
    log.clear();
    expect(log.last(5)).toEqual([]);
  });
});
