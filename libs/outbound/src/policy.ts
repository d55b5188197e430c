import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { nonPublicReason, normalizeIp, parseIp } from './addresses.js';
import { OutboundRefusedError } from './errors.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses. The default is `dns.lookup(host, { all: true, verbatim: true })`. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundPolicyOptions {
  /** Host names (exact, or `*.suffix` for any subdomain), single IPs, or CIDRs exempt from the guard. */
  allowlist: readonly string[];
  /** Default true: only https, except for hosts the allowlist names. */
  requireHttps?: boolean;
  /** Replaces the system resolver (tests, or a dedicated resolver). */
  resolve?: HostResolver;
}

export interface OutboundPolicy {
  readonly requireHttps: boolean;
  readonly hosts: ReadonlySet<string>;
  readonly suffixes: readonly string[];
  readonly cidrs: readonly [Addr, number][];
  readonly resolve: HostResolver;
}

export interface CheckedUrl {
  url: URL;
  /** The addresses the connection may use (the host's resolved addresses, or the literal IP). */
  addresses: string[];
}

const defaultResolve: HostResolver = async (hostname) => {
  const results = await dnsLookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export function createOutboundPolicy(options: OutboundPolicyOptions): OutboundPolicy {
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const cidrs: [Addr, number][] = [];
  for (const raw of options.allowlist) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry.includes('/')) {
      let cidr: [Addr, number];
      try {
        cidr = ipaddr.parseCIDR(entry.replace(/^\[|\](?=\/)/g, ''));
      } catch (err) {
        throw new Error(`outbound allowlist: invalid CIDR "${entry}"`, { cause: err });
      }
      // An IPv4-mapped IPv6 CIDR is matched as the IPv4 CIDR it describes.
      const [base, bits] = cidr;
      if (base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        cidrs.push([(base as ipaddr.IPv6).toIPv4Address(), bits - 96]);
      } else {
        cidrs.push(cidr);
      }
      continue;
    }
    const ip = parseIp(entry);
    if (ip) {
      const n = normalizeIp(ip);
      cidrs.push([n, n.kind() === 'ipv4' ? 32 : 128]);
      continue;
    }
    const host = normalizeHost(entry);
    if (host.startsWith('*.') && host.length > 2) suffixes.push(host.slice(1));
    else if (/^[a-z0-9_.-]+$/.test(host) && !host.includes('*')) hosts.add(host);
    else throw new Error(`outbound allowlist: invalid entry "${entry}"`);
  }
  return {
    requireHttps: options.requireHttps ?? true,
    hosts,
    suffixes,
    cidrs,
    resolve: options.resolve ?? defaultResolve,
  };
}

/** True when the allowlist names this host (exactly, or by a `*.suffix` entry, which does not match the apex). */
export function isHostAllowlisted(policy: OutboundPolicy, hostname: string): boolean {
  const host = normalizeHost(hostname);
  if (policy.hosts.has(host)) return true;
  return policy.suffixes.some((suffix) => host.endsWith(suffix) && host.length > suffix.length);
}

/** True when an allowlisted IP or CIDR covers this address (IPv4-mapped IPv6 is matched as IPv4). */
export function isAddressAllowlisted(policy: OutboundPolicy, address: string | Addr): boolean {
  const parsed = typeof address === 'string' ? parseIp(address) : address;
  if (!parsed) return false;
  const addr = normalizeIp(parsed);
  return policy.cidrs.some(([base, bits]) => base.kind() === addr.kind() && addr.match(base, bits));
}

function refuseHost(host: string): OutboundRefusedError {
  return new OutboundRefusedError(
    'address_not_allowed',
    `Refusing to connect to ${host}: it is not a public internet address (private, loopback, link-local or reserved).`,
  );
}

/**
 * Checks an outbound URL against the policy and resolves it. Resolves to the parsed URL and the addresses the
 * connection must use (pin them: do not resolve the host again); throws `OutboundRefusedError` otherwise.
 */
export async function checkUrl(policy: OutboundPolicy, input: string | URL): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch (err) {
    throw new OutboundRefusedError('invalid_url', 'The URL is not valid.', { cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OutboundRefusedError('scheme_not_allowed', `The URL scheme "${url.protocol.slice(0, -1)}" is not allowed; use https.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new OutboundRefusedError('credentials_in_url', 'URLs with a user name or password are not allowed.');
  }
  const rawHost = url.hostname;
  if (!rawHost) throw new OutboundRefusedError('invalid_url', 'The URL has no host.');
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const literal = parseIp(host);
  const hostAllowed = literal ? isAddressAllowlisted(policy, literal) : isHostAllowlisted(policy, host);

  if (url.protocol === 'http:' && policy.requireHttps && !hostAllowed) {
    throw new OutboundRefusedError('scheme_not_allowed', `Plain http is not allowed for ${rawHost}; use https.`);
  }

  if (literal) {
    if (!hostAllowed && nonPublicReason(literal) !== null) throw refuseHost(rawHost);
    return { url, addresses: [literal.toString()] };
  }

  let resolved: ResolvedAddress[];
  try {
    resolved = await policy.resolve(host);
  } catch (err) {
    throw new OutboundRefusedError('dns_failed', `Could not resolve ${host}.`, { cause: err });
  }
  if (resolved.length === 0) throw new OutboundRefusedError('dns_failed', `Could not resolve ${host}.`);
  const addresses: string[] = [];
  for (const { address } of resolved) {
    const ip = parseIp(address);
    // A resolver answer that is not an IP literal is never connectable safely.
    if (!ip) throw new OutboundRefusedError('dns_failed', `Could not resolve ${host}.`);
    // Every address must pass: a host with one public and one private address is refused, so the pinned set
    // never contains an address the policy refuses.
    if (!hostAllowed && !isAddressAllowlisted(policy, ip) && nonPublicReason(ip) !== null) throw refuseHost(host);
    addresses.push(ip.toString());
  }
  return { url, addresses };
}
