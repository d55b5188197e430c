import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` / `http.request` that answers every name with the pinned addresses only, so the
 * connection cannot re-resolve (no DNS rebinding between the check and the connect). It honours `all` (used by
 * Node's happy-eyeballs connect) and a requested `family`.
 */
export function pinnedLookup(addresses: readonly string[]) {
  const pinned: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  if (pinned.length === 0 || pinned.some((a) => isIP(a.address) === 0)) throw new Error('pinnedLookup needs IP addresses');
  return function lookup(_hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback): void {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts: LookupOptions = typeof options === 'object' && options !== null ? options : typeof options === 'number' ? { family: options } : {};
    const family = opts.family === 4 || opts.family === 6 ? opts.family : opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : 0;
    const matching = family === 0 ? pinned : pinned.filter((a) => a.family === family);
    process.nextTick(() => {
      if (matching.length === 0) {
        const err: NodeJS.ErrnoException = new Error(`no pinned address of family ${family}`);
        err.code = 'ENOTFOUND';
        cb(err, opts.all ? [] : '', undefined);
      } else if (opts.all) {
        cb(null, matching.map((a) => ({ ...a })));
      } else {
        cb(null, matching[0].address, matching[0].family);
      }
    });
  };
}
