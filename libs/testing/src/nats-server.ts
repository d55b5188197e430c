import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import {
  NATS_SERVICES, natsInboxPrefix, natsPermissions, natsTestPermissions, renderNatsServerConfig, type NatsService, type NatsUserEntry,
} from '@harness/contracts';
import { getFreePort } from './ports.js';
import { waitFor } from './wait.js';

/** Whose credentials: a service's, or the test user's (every subject of the namespace; tests only). */
export type NatsIdentity = NatsService | 'test';

export interface NatsConnectOptions {
  servers: string[];
  user: string;
  pass: string;
  inboxPrefix: string;
}

export interface NatsServerHandle {
  /** e.g. nats://127.0.0.1:41234 */
  url: string;
  namespace: string;
  /** Options for nats.js `connect` (or Nest's NATS transport) as `who`: its user, password and inbox prefix. */
  connectOptions(who: NatsIdentity): NatsConnectOptions;
  /** The generated configuration file (passwords included; removed by stop()). */
  configFile: string;
  stop(): Promise<void>;
}

/** The nats-server binary: HARNESS_NATS_SERVER_BIN, else `nats-server` on PATH, else Debian's /usr/sbin/nats-server. */
export function findNatsServer(): string {
  const candidates = [
    process.env.HARNESS_NATS_SERVER_BIN,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'nats-server')),
    '/usr/sbin/nats-server',
  ].filter((c): c is string => Boolean(c));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('nats-server is not installed (apt-get install nats-server, or set HARNESS_NATS_SERVER_BIN): test systems run their own');
}

/**
 * A nats-server of the test's own on a free loopback port, with the production permissions of libs/contracts
 * (one user per service, random passwords) plus a `test` user. Always call stop().
 */
export async function startNatsServer(opts: { namespace: string; log?: (line: string) => void }): Promise<NatsServerHandle> {
  const port = await getFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'harness-nats-'));
  const passwords = new Map<NatsIdentity, string>();
  for (const who of [...NATS_SERVICES, 'test'] as NatsIdentity[]) passwords.set(who, randomBytes(18).toString('base64url'));
  const perms = natsPermissions(opts.namespace);
  const users: NatsUserEntry[] = [
    ...NATS_SERVICES.map((s) => ({ user: s, password: passwords.get(s)!, permissions: perms[s] })),
    { user: 'test', password: passwords.get('test')!, permissions: natsTestPermissions(opts.namespace) },
  ];
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(configFile, renderNatsServerConfig({ users, listen: `127.0.0.1:${port}`, header: ['Test system NATS (libs/testing).'] }), { mode: 0o600 });

  // The port on the command line too: tools that look for "their" nats-server by `-p <port>` (bench/) find it.
  const child = spawn(findNatsServer(), ['-c', configFile, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      opts.log?.(`[testing] nats-server failed to start: ${err.message}`);
      resolve();
    });
  });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (l) => opts.log?.(`nats | ${l}`));
  const killSync = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killSync);

  const url = `nats://127.0.0.1:${port}`;
  const connectOptions = (who: NatsIdentity): NatsConnectOptions => ({
    servers: [url],
    user: who,
    pass: passwords.get(who)!,
    inboxPrefix: natsInboxPrefix(opts.namespace, who),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(killSync, 5_000);
    await exited;
    clearTimeout(timer);
    process.removeListener('exit', killSync);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) return true;
        try {
          const nc = await connect({ ...connectOptions('test'), timeout: 1_000, reconnect: false });
          await nc.close();
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 15_000, intervalMs: 50, description: `nats-server on ${url}` },
    );
    if (child.exitCode !== null) throw new Error(`nats-server exited (code ${child.exitCode}) before accepting connections (config ${configFile})`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, namespace: opts.namespace, connectOptions, configFile, stop };
}
