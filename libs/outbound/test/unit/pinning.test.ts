import type { LookupAddress } from 'node:dns';
import { pinnedLookup } from '../../src/index.js';

type Result = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

function call(lookup: ReturnType<typeof pinnedLookup>, host: string, options: object): Promise<Result> {
  return new Promise((resolve) => lookup(host, options, (err, address, family) => resolve({ err, address, family })));
}

describe('pinnedLookup', () => {
  it('answers every name with the pinned address only', async () => {
    const lookup = pinnedLookup(['93.184.215.14']);
    for (const host of ['example.com', 'localhost', 'metadata.google.internal', '127.0.0.1']) {
      expect(await call(lookup, host, {})).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    }
  });

  it('honours all:true (happy eyeballs) and the family filter', async () => {
    const lookup = pinnedLookup(['2606:4700:4700::1111', '1.1.1.1']);
    expect((await call(lookup, 'x', { all: true })).address).toEqual([
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ]);
    expect(await call(lookup, 'x', { family: 4 })).toEqual({ err: null, address: '1.1.1.1', family: 4 });
    expect(await call(lookup, 'x', { family: 6, all: true })).toMatchObject({ address: [{ address: '2606:4700:4700::1111', family: 6 }] });
    const v4only = pinnedLookup(['1.1.1.1']);
    const res = await call(v4only, 'x', { family: 6 });
    expect(res.err?.code).toBe('ENOTFOUND');
  });

  it('only accepts IP addresses', () => {
    expect(() => pinnedLookup([])).toThrow();
    expect(() => pinnedLookup(['example.com'])).toThrow();
  });
});
