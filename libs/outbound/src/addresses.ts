import ipaddr from 'ipaddr.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Ranges that are public unicast for our purposes (anycast DNS and AMT relays are real public services). */
const PUBLIC_V4 = new Set(['unicast', 'as112', 'amt']);
const PUBLIC_V6 = new Set(['unicast', 'as112v6', 'amt']);

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([(hi >> 8) & 0xff, hi & 0xff, (lo >> 8) & 0xff, lo & 0xff]);
}

/** Parses an IP literal (optionally in brackets); null when it is not one. */
export function parseIp(text: string): Addr | null {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // Only canonical forms: `new URL` has already normalised decimal/octal/hex IPv4 hosts to dotted quads.
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s);
  if (ipaddr.IPv6.isValid(s)) {
    try {
      return ipaddr.IPv6.parse(s);
    } catch {
      return null;
    }
  }
  return null;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes its IPv4 address; everything else is returned as is. */
export function normalizeIp(addr: Addr): Addr {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

/**
 * Why an address is not public unicast (the ipaddr.js range name, or a name for the embedded case), or null when
 * it is public. IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address.
 */
export function nonPublicReason(input: Addr): string | null {
  const addr = normalizeIp(input);
  if (addr.kind() === 'ipv4') {
    const range = addr.range();
    return PUBLIC_V4.has(range) ? null : range;
  }
  const v6 = addr as ipaddr.IPv6;
  const p = v6.parts;
  // ::/96 (deprecated IPv4-compatible, and :: / ::1 themselves) is never a public destination.
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    const range = v6.range();
    return range === 'unicast' ? 'ipv4Compatible' : range;
  }
  const range = v6.range();
  const embedded = (v4: ipaddr.IPv4, label: string) => {
    const inner = nonPublicReason(v4);
    return inner === null ? null : `${label}(${inner})`;
  };
  // 6to4: 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
  if (range === '6to4') return embedded(v4FromParts(p[1], p[2]), '6to4');
  // Teredo: 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, server S, client C XOR ffff:ffff. Both must be public.
  if (p[0] === 0x2001 && p[1] === 0) {
    return embedded(v4FromParts(p[2], p[3]), 'teredo') ?? embedded(v4FromParts(p[6] ^ 0xffff, p[7] ^ 0xffff), 'teredo');
  }
  if (range === 'rfc6052') {
    // Well-known NAT64 prefix 64:ff9b::/96 embeds the IPv4 address in the last 32 bits; 64:ff9b:1::/48 is local use.
    if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
      return embedded(v4FromParts(p[6], p[7]), 'nat64');
    }
    return 'rfc6052';
  }
  return PUBLIC_V6.has(range) ? null : range;
}
