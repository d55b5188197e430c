import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentNatsConfig, natsConnectOptions, natsPermissions, renderNatsServerConfig } from '../../src/nats-access.js';
import { ChatSubjects, setSubjectNamespace } from '../../src/subjects.js';

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
const matches = (pattern: string, subject: string): boolean => {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
};
const allowed = (patterns: string[], subject: string) => patterns.some((p) => matches(p, subject));

const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');

describe('NATS access configuration', () => {
  test('deploy/nats-server.conf is the generator\'s current output (run `node scripts/nats-config.mjs --out deploy/nats-server.conf`)', () => {
    expect(readFileSync(join(repoRoot, 'deploy', 'nats-server.conf'), 'utf8')).toBe(deploymentNatsConfig('harness'));
  });

  test('every subscription of a service stays in its namespace or its own inbox', () => {
    for (const [service, p] of Object.entries(natsPermissions('ns1'))) {
      for (const s of [...p.publish, ...p.subscribe]) expect(s.startsWith('ns1.v1.') || s === `_INBOX.ns1.${service}.>`).toBe(true);
    }
  });

  test('a service without a publish permission is denied everything but its answers (an empty allow list would allow all)', () => {
    const text = renderNatsServerConfig({ users: [{ user: 'auth', password: 'x', permissions: natsPermissions('ns1').auth }] });
    expect(text).toContain('publish: { deny: [">"] }');
    expect(text).toContain('allow_responses: { max: 1, expires: "20m" }');
  });

  test('names that would break the file are refused', () => {
    const permissions = natsPermissions('ns1').auth;
    expect(() => renderNatsServerConfig({ users: [{ user: 'a" }', password: 'x', permissions }] })).toThrow(/invalid NATS user/);
    expect(() => renderNatsServerConfig({ users: [{ user: 'a', password: { env: 'X; rm' }, permissions }] })).toThrow(/invalid variable/);
  });

  test('budgets: only the gateway (for admins) may send budget-set, and only chat receives it', () => {
    setSubjectNamespace('ns1');
    try {
      const perms = natsPermissions('ns1');
      const subject = ChatSubjects.setBudget;
      expect(subject).toBe('ns1.v1.chat.cmd.budget-set');
      expect(allowed(perms.gateway.publish, subject)).toBe(true);
      expect(allowed(perms.chat.subscribe, subject)).toBe(true);
      for (const s of ['chat', 'mcp-broker', 'auth'] as const) expect(allowed(perms[s].publish, subject)).toBe(false);
      for (const s of ['gateway', 'mcp-broker', 'auth'] as const) expect(allowed(perms[s].subscribe, subject)).toBe(false);
    } finally {
      setSubjectNamespace('harness');
    }
  });

  test('connect options carry the credentials when configured and the service\'s inbox prefix always', () => {
    expect(natsConnectOptions({ natsUrl: 'nats://n:4222', natsNamespace: 'ns1', nats: undefined }, 'gateway')).toEqual({ servers: ['nats://n:4222'], inboxPrefix: '_INBOX.ns1.gateway' });
    expect(natsConnectOptions({ natsUrl: 'nats://n:4222', natsNamespace: 'ns1', nats: { user: 'gateway', password: 'pw' } }, 'gateway'))
      .toEqual({ servers: ['nats://n:4222'], user: 'gateway', pass: 'pw', inboxPrefix: '_INBOX.ns1.gateway' });
  });
});
