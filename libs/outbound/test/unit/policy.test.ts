import { checkUrl, createOutboundPolicy, isAddressAllowlisted, isHostAllowlisted, nonPublicReason, OutboundRefusedError, type ResolvedAddress } from '../../src/index.js';
import { parseIp } from '../../src/addresses.js';

const resolveTo = (...addresses: string[]) => async (): Promise<ResolvedAddress[]> =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof OutboundRefusedError) return err.code;
    throw err;
  }
}

const refused: [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['169.254.169.254', 'linkLocal'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['192.0.2.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fe80::1', 'linkLocal'],
  ['ff02::1', 'multicast'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['fec0::1', 'deprecatedSiteLocal'],
  ['2001:db8::1', 'reserved'],
  ['100::1', 'discard'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::7f00:1', 'ipv4Compatible'],
  ['::ffff:0:7f00:1', 'rfc6145'],
  ['2002:7f00:1::1', '6to4(loopback)'],
  ['2002:c0a8:101::1', '6to4(private)'],
  ['2001:0:7f00:1::1', 'teredo(loopback)'],
  ['2001:0:808:808:0:0:f5ff:fffe', 'teredo(private)'], // client 10.0.0.1 XOR ffff:ffff
  ['64:ff9b::a00:1', 'nat64(private)'],
  ['64:ff9b:1::1', 'rfc6052'],
];
const allowed = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8', '2002:808:808::1', '64:ff9b::808:808', '192.175.48.1'];

describe('address classes', () => {
  it.each(refused)('refuses %s (%s)', (address, reason) => {
    expect(nonPublicReason(parseIp(address)!)).toBe(reason);
  });
  it.each(allowed)('allows public %s', (address) => {
    expect(nonPublicReason(parseIp(address)!)).toBeNull();
  });
  it.each(refused)('checkUrl refuses a host resolving to %s', async (address) => {
    const policy = createOutboundPolicy({ allowlist: [], resolve: resolveTo(address) });
    expect(await codeOf(checkUrl(policy, 'https://evil.example/'))).toBe('address_not_allowed');
  });
  it.each(refused)('checkUrl refuses the literal %s', async (address) => {
    const policy = createOutboundPolicy({ allowlist: [] });
    const host = address.includes(':') ? `[${address}]` : address;
    expect(await codeOf(checkUrl(policy, `https://${host}/x`))).toBe('address_not_allowed');
  });
});

describe('URL rules', () => {
  const policy = createOutboundPolicy({ allowlist: [], resolve: resolveTo('8.8.8.8') });
  it.each([
    ['not a url', 'invalid_url'],
    ['/relative', 'invalid_url'],
    ['ftp://example.com/', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['http://example.com/', 'scheme_not_allowed'],
    ['https://user:pw@example.com/', 'credentials_in_url'],
    ['https://user@example.com/', 'credentials_in_url'],
    ['https://example.com/mcp', 'ok'],
  ])('%s → %s', async (url, code) => {
    expect(await codeOf(checkUrl(policy, url))).toBe(code);
  });

  it('returns the URL and the resolved addresses', async () => {
    const p = createOutboundPolicy({ allowlist: [], resolve: resolveTo('8.8.8.8', '2606:4700:4700::1111') });
    const { url, addresses } = await checkUrl(p, 'https://Example.com:8443/a?b=1');
    expect(url.href).toBe('https://example.com:8443/a?b=1');
    expect(addresses).toEqual(['8.8.8.8', '2606:4700:4700::1111']);
  });

  it('refuses a host when any resolved address is private (no mixing)', async () => {
    const p = createOutboundPolicy({ allowlist: [], resolve: resolveTo('8.8.8.8', '10.0.0.1') });
    expect(await codeOf(checkUrl(p, 'https://mixed.example/'))).toBe('address_not_allowed');
  });

  it('maps resolver failures and empty answers to dns_failed', async () => {
    const failing = createOutboundPolicy({ allowlist: [], resolve: async () => { throw new Error('ENOTFOUND'); } });
    expect(await codeOf(checkUrl(failing, 'https://nowhere.example/'))).toBe('dns_failed');
    const empty = createOutboundPolicy({ allowlist: [], resolve: async () => [] });
    expect(await codeOf(checkUrl(empty, 'https://nowhere.example/'))).toBe('dns_failed');
    const real = createOutboundPolicy({ allowlist: [] });
    expect(await codeOf(checkUrl(real, 'https://does-not-exist.invalid/'))).toBe('dns_failed');
  });

  it('normalises decimal, octal and hex IPv4 hosts through URL parsing and still refuses them', async () => {
    const p = createOutboundPolicy({ allowlist: [] });
    for (const url of ['https://2130706433/', 'https://0177.0.0.1/', 'https://0x7f.1/', 'https://127.1/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/']) {
      expect(await codeOf(checkUrl(p, url))).toBe('address_not_allowed');
    }
  });

  it('gives messages that do not leak resolved addresses', async () => {
    const p = createOutboundPolicy({ allowlist: [], resolve: resolveTo('10.9.8.7') });
    await expect(checkUrl(p, 'https://internal.example/')).rejects.toThrow(/internal\.example/);
    await expect(checkUrl(p, 'https://internal.example/')).rejects.not.toThrow(/10\.9\.8\.7/);
  });

  it('allows http only when the host is allowlisted, or when requireHttps is false', async () => {
    const pub = resolveTo('8.8.8.8');
    expect(await codeOf(checkUrl(createOutboundPolicy({ allowlist: ['api.example'], resolve: pub }), 'http://api.example/'))).toBe('ok');
    expect(await codeOf(checkUrl(createOutboundPolicy({ allowlist: [], requireHttps: false, resolve: pub }), 'http://api.example/'))).toBe('ok');
    expect(await codeOf(checkUrl(createOutboundPolicy({ allowlist: ['127.0.0.0/8'] }), 'http://127.0.0.1:8080/'))).toBe('ok');
    // requireHttps:false relaxes the scheme, never the address rules.
    expect(await codeOf(checkUrl(createOutboundPolicy({ allowlist: [], requireHttps: false }), 'http://127.0.0.1/'))).toBe('address_not_allowed');
  });
});

describe('allowlist', () => {
  const policy = createOutboundPolicy({ allowlist: ['localhost', '*.corp.example', 'Exact.Example.', '10.0.0.0/8', '::1', '[fd00::]/8', '192.168.1.5', '::ffff:172.16.0.0/108', ' '] });

  it('matches host names exactly (case and trailing dot insensitive) and *.suffix for subdomains only', () => {
    expect(isHostAllowlisted(policy, 'localhost')).toBe(true);
    expect(isHostAllowlisted(policy, 'LOCALHOST.')).toBe(true);
    expect(isHostAllowlisted(policy, 'exact.example')).toBe(true);
    expect(isHostAllowlisted(policy, 'sub.exact.example')).toBe(false);
    expect(isHostAllowlisted(policy, 'a.corp.example')).toBe(true);
    expect(isHostAllowlisted(policy, 'a.b.corp.example')).toBe(true);
    expect(isHostAllowlisted(policy, 'corp.example')).toBe(false);
    expect(isHostAllowlisted(policy, 'evilcorp.example')).toBe(false);
    expect(isHostAllowlisted(policy, 'localhost.evil.example')).toBe(false);
  });

  it('matches CIDRs and single IPs, IPv4-mapped IPv6 as IPv4', () => {
    expect(isAddressAllowlisted(policy, '10.1.2.3')).toBe(true);
    expect(isAddressAllowlisted(policy, '::ffff:10.1.2.3')).toBe(true);
    expect(isAddressAllowlisted(policy, '11.0.0.1')).toBe(false);
    expect(isAddressAllowlisted(policy, '::1')).toBe(true);
    expect(isAddressAllowlisted(policy, '::2')).toBe(false);
    expect(isAddressAllowlisted(policy, 'fd12::1')).toBe(true);
    expect(isAddressAllowlisted(policy, 'fc00::1')).toBe(false);
    expect(isAddressAllowlisted(policy, '192.168.1.5')).toBe(true);
    expect(isAddressAllowlisted(policy, '192.168.1.6')).toBe(false);
    expect(isAddressAllowlisted(policy, '172.16.9.9')).toBe(true);
    expect(isAddressAllowlisted(policy, '172.32.0.1')).toBe(false);
    expect(isAddressAllowlisted(policy, 'not-an-ip')).toBe(false);
  });

  it('exempts allowlisted hosts, addresses and literals from the address rules', async () => {
    const p = (allowlist: string[], ...addrs: string[]) => createOutboundPolicy({ allowlist, resolve: resolveTo(...addrs) });
    expect(await codeOf(checkUrl(p(['internal.example'], '10.0.0.1'), 'https://internal.example/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['*.internal.example'], '10.0.0.1'), 'https://mcp.internal.example/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['10.0.0.0/8'], '10.0.0.1'), 'https://internal.example/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['10.0.0.0/8'], '10.0.0.1', '192.168.0.1'), 'https://internal.example/'))).toBe('address_not_allowed');
    expect(await codeOf(checkUrl(p(['127.0.0.0/8']), 'https://127.0.0.1/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['127.0.0.0/8']), 'https://[::ffff:127.0.0.1]/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['::1']), 'https://[::1]/'))).toBe('ok');
    expect(await codeOf(checkUrl(p(['::1']), 'https://127.0.0.1/'))).toBe('address_not_allowed');
    // An allowlisted address does not make http acceptable for an unlisted host name.
    expect(await codeOf(checkUrl(p(['10.0.0.0/8'], '10.0.0.1'), 'http://internal.example/'))).toBe('scheme_not_allowed');
  });

  it('rejects malformed entries at configuration time', () => {
    expect(() => createOutboundPolicy({ allowlist: ['10.0.0.0/33'] })).toThrow(/invalid CIDR/);
    expect(() => createOutboundPolicy({ allowlist: ['exa mple.com'] })).toThrow(/invalid entry/);
    expect(() => createOutboundPolicy({ allowlist: ['foo.*.com'] })).toThrow(/invalid entry/);
  });
});
