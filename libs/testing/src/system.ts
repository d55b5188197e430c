import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDatabase, type Database } from '@harness/db';
import { startDevIdp, type DevIdpHandle } from '@harness/dev-idp';
import { startSimulator, type SimulatorHandle } from '@harness/llm-simulator';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startNatsServer, type NatsConnectOptions, type NatsIdentity, type NatsServerHandle } from './nats-server.js';
import { getFreePort } from './ports.js';
import { repoRoot, testLogsDir } from './paths.js';
import { signToken } from './token.js';
import { waitFor } from './wait.js';

export type ServiceName = 'gateway' | 'chat' | 'mcp-broker' | 'auth';
export const ALL_SERVICES: readonly ServiceName[] = ['gateway', 'chat', 'mcp-broker', 'auth'];

export interface StartSystemOptions {
  /** Services to run (default all four). Readiness: with all four, /readyz must answer 200; with the gateway but
   * not all, /healthz; without the gateway, nothing is awaited. */
  services?: ServiceName[];
  /** Chat replicas, each a process with its own HARNESS_REPLICA_ID (default 1). */
  chatReplicas?: number;
  /** Auth service replicas, each a process with its own HARNESS_REPLICA_ID (default 1). */
  authReplicas?: number;
  /** Use this OpenAI-compatible endpoint instead of starting the LLM simulator in-process. */
  llmBaseUrl?: string;
  /** Extra environment for every child (applied last). */
  env?: Record<string, string>;
  /** Extra environment for one service's processes (applied after env), e.g. a REDIS_URL with that service's ACL user. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Deadline for the system to become ready (default 60 000 ms). */
  readyTimeoutMs?: number;
  /** Names the database and the log file (default 'e2e'). */
  label?: string;
  /**
   * Login providers (HARNESS_LOGIN_PROVIDERS entries) besides the dev IdP's. Unless env sets HARNESS_LOGIN_PROVIDERS,
   * the dev IdP (tools/dev-idp) is started in-process, as `npm start` does, and configured as provider "dev".
   */
  loginProviders?: Record<string, unknown>[];
  /**
   * Cross-App Access with the dev IdP: its client exchanges ID tokens for ID-JAGs for these authorization servers
   * (issuer → Harness's client id there), and provider "dev" has `crossAppAccess: {enabled: true}`.
   */
  devIdpCrossAppAccess?: Record<string, string>;
}

export interface SystemProcess {
  readonly name: ServiceName;
  readonly index: number;
  readonly pid: number;
  readonly replicaId: string;
  /** Sends a signal (default SIGTERM). */
  kill(signal?: NodeJS.Signals): boolean;
  /** Resolves with the exit code (null when ended by a signal). */
  readonly exited: Promise<number | null>;
}

export interface System {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  gatewayUrl: string;
  /** The in-process LLM simulator; undefined when opts.llmBaseUrl was given. */
  simulator: SimulatorHandle | undefined;
  /** The in-process dev IdP (login provider "dev"); undefined when env set HARNESS_LOGIN_PROVIDERS. */
  devIdp: DevIdpHandle | undefined;
  /** LLM_BASE_URL given to the services. */
  llmBaseUrl: string;
  databaseUrl: string;
  /** HARNESS_NATS_NAMESPACE of every service: NATS subjects and BullMQ key prefixes are under it. */
  natsNamespace: string;
  /** The system's own nats-server (authenticated, production permissions: see libs/contracts nats-access.ts). */
  natsUrl: string;
  /** Options for nats.js `connect` as a service (its permissions) or as `test` (every subject of the namespace). */
  natsConnectOptions(who: NatsIdentity): NatsConnectOptions;
  redisUrl: string;
  /** createDatabase(databaseUrl) from @harness/db, closed by stop(). */
  db: Database;
  jwtSecret: string;
  encryptionKey: string;
  /** HARNESS_JOB_SIGNING_KEY of chat and the mcp-broker (the only children that get it), to sign tool calls as chat does. */
  jobSigningKey: string;
  /** All children's stdout/stderr, each line prefixed with `<name>#<index>`. */
  logFile: string;
  /** The last `lines` lines of logFile. */
  logTail(lines?: number): string;
  /** A user token signed with jwtSecret (ttl default '1h'). */
  token(userId: string, ttl?: string | number): Promise<string>;
  /** The current process of a service (index: replica number, default 0). */
  process(name: ServiceName, index?: number): SystemProcess;
  /** Stops one process (SIGTERM, SIGKILL after 5 s), starts it again and waits for readiness. */
  restart(name: ServiceName, index?: number): Promise<SystemProcess>;
  /** Stops every child (SIGTERM, then SIGKILL after 5 s), the simulator, and drops the database. Idempotent. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
/** Only chat (signs tool calls) and the mcp-broker (checks them) get HARNESS_JOB_SIGNING_KEY, never the gateway. */
const JOB_SIGNING_SERVICES = new Set<ServiceName>(['chat', 'mcp-broker']);

/** Keys of libs/config (and NODE_ENV) that a developer's shell must not leak into the test system. */
const CONFIG_KEY = /^(NODE_ENV|LOG_LEVEL|GATEWAY_PORT|DATABASE_URL|NATS_.*|REDIS_URL|WEB_ORIGIN|PUBLIC_URL|HARNESS_.*|LLM_.*|CHAT_.*|SSE_.*|DEV_TOKEN_TTL)$/;

interface Slot {
  name: ServiceName;
  index: number;
  generation: number;
  handle: SystemProcess;
  child: ChildProcess;
}

/**
 * Starts the whole system for an end-to-end test: a fresh migrated database, the LLM simulator in-process (unless
 * llmBaseUrl), a nats-server of its own with the production per-service users (startNatsServer), and the built
 * services (`node services/<name>/dist/main.js`) as child processes, each with its NATS credentials, then waits until
 * ready. Always call stop() (afterAll), which leaves no child running and drops the database.
 */
export async function startSystem(opts: StartSystemOptions = {}): Promise<System> {
  const services = opts.services ?? [...ALL_SERVICES];
  const chatReplicas = Math.max(1, opts.chatReplicas ?? 1);
  const authReplicas = Math.max(1, opts.authReplicas ?? 1);
  const label = (opts.label ?? 'e2e').replace(/[^A-Za-z0-9_-]+/g, '_');
  const systemId = randomBytes(3).toString('hex');

  for (const name of services) {
    const main = join(repoRoot, 'services', name, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`startSystem: ${main} is missing: run \`npm run build\` first`);
  }

  mkdirSync(testLogsDir, { recursive: true });
  const logFile = join(testLogsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${label}-${systemId}.log`);
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const writeLog = (line: string) => log.write(`${line}\n`);

  const slots = new Map<string, Slot>();
  const key = (name: ServiceName, index: number) => `${name}#${index}`;
  let stopped = false;
  let testDb: TestDatabase | undefined;
  let db: Database | undefined;
  let simulator: SimulatorHandle | undefined;
  let devIdp: DevIdpHandle | undefined;
  let nats: NatsServerHandle | undefined;

  // Last resort: if the test process exits without stop(), do not leave children behind.
  const killAllSync = () => {
    for (const slot of slots.values()) if (slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill('SIGKILL');
  };
  process.once('exit', killAllSync);

  const stopChild = async (slot: Slot) => {
    const { child } = slot;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await slot.handle.exited;
    clearTimeout(timer);
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...slots.values()].map(stopChild));
    process.removeListener('exit', killAllSync);
    await simulator?.close().catch(() => undefined);
    await devIdp?.close().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await testDb?.drop().catch((err: unknown) => writeLog(`[testing] dropping ${testDb?.name} failed: ${String(err)}`));
    await new Promise<void>((resolve) => log.end(resolve));
  };

  const logTail = (lines = 80) => {
    try {
      const text = readFileSync(logFile, 'utf8').split('\n');
      return text.slice(-lines - 1).join('\n');
    } catch {
      return '';
    }
  };

  try {
    testDb = await createTestDatabase(label);
    db = createDatabase(testDb.url, { applicationName: `harness-test-${label}` });

    let llmBaseUrl = opts.llmBaseUrl;
    if (!llmBaseUrl) {
      simulator = await startSimulator({ port: 0 });
      llmBaseUrl = simulator.url;
    }

    const gatewayPort = await getFreePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const jwtSecret = randomBytes(32).toString('base64url');
    const encryptionKey = randomBytes(32).toString('hex');
    const jobSigningKey = opts.env?.HARNESS_JOB_SIGNING_KEY ?? randomBytes(32).toString('base64url');

    const baseEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !CONFIG_KEY.test(k)) baseEnv[k] = v;
    Object.assign(baseEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
      DATABASE_URL: testDb.url,
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      GATEWAY_PORT: String(gatewayPort),
      PUBLIC_URL: gatewayUrl,
      HARNESS_JWT_SECRET: jwtSecret,
      HARNESS_ENCRYPTION_KEY: encryptionKey,
      LLM_BASE_URL: llmBaseUrl,
      LLM_API_KEY: 'sim',
      // Subjects of their own: another system (a developer's, a parallel test) on the same NATS takes none of its commands.
      HARNESS_NATS_NAMESPACE: `t-${systemId}`,
      HARNESS_OUTBOUND_ALLOWLIST: '127.0.0.0/8,::1,localhost',
    });
    Object.assign(baseEnv, opts.env);
    if (opts.env?.HARNESS_LOGIN_PROVIDERS === undefined) {
      // As `npm start` does without a login provider: the dev IdP, with a client for this gateway's callback.
      const clientSecret = randomBytes(24).toString('base64url');
      devIdp = await startDevIdp({
        port: 0,
        clients: [{
          clientId: 'harness-dev', clientSecret, redirectUris: [`${gatewayUrl}/auth/callback/dev`], tokenEndpointAuthMethod: 'client_secret_basic',
          ...(opts.devIdpCrossAppAccess ? { crossAppAccess: { audiences: opts.devIdpCrossAppAccess } } : {}),
        }],
      });
      const dev = {
        id: 'dev', type: 'oidc', name: 'Dev', issuer: devIdp.issuer, clientId: 'harness-dev', clientSecret, dev: true,
        ...(opts.devIdpCrossAppAccess ? { crossAppAccess: { enabled: true } } : {}),
      };
      baseEnv['HARNESS_LOGIN_PROVIDERS'] = JSON.stringify([dev, ...(opts.loginProviders ?? [])]);
    } else if (opts.loginProviders) {
      throw new Error('startSystem: loginProviders and env.HARNESS_LOGIN_PROVIDERS are exclusive');
    }
    // A nats-server of its own with per-service users: every test runs the production permissions.
    nats = await startNatsServer({ namespace: baseEnv['HARNESS_NATS_NAMESPACE']!, log: writeLog });
    baseEnv['NATS_URL'] = nats.url;
    const natsServer = nats;
    delete baseEnv['HARNESS_JOB_SIGNING_KEY'];

    writeLog(`[testing] system ${systemId}: services ${services.join(',')} chatReplicas=${chatReplicas} authReplicas=${authReplicas}`);
    writeLog(`[testing] database ${testDb.name}, gateway ${gatewayUrl}, llm ${llmBaseUrl}, nats ${natsServer.url}`);

    const spawnSlot = (name: ServiceName, index: number, generation: number): Slot => {
      const replicaId = `test-${systemId}-${name}-${index}${generation ? `-r${generation}` : ''}`;
      const child = spawn(process.execPath, [join(repoRoot, 'services', name, 'dist', 'main.js')], {
        cwd: repoRoot,
        env: {
          ...baseEnv, ...(JOB_SIGNING_SERVICES.has(name) ? { HARNESS_JOB_SIGNING_KEY: jobSigningKey } : {}), HARNESS_REPLICA_ID: replicaId,
          NATS_USER: name, NATS_PASSWORD: natsServer.connectOptions(name).pass, ...opts.serviceEnv?.[name],
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const prefix = `${name}#${index}${generation ? `.${generation}` : ''}`;
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => writeLog(`${prefix} | ${line}`));
      }
      const exited = new Promise<number | null>((resolve) => {
        child.once('exit', (code, signal) => {
          writeLog(`[testing] ${prefix} exited (${signal ?? `code ${code}`})`);
          resolve(code);
        });
        child.once('error', (err) => {
          writeLog(`[testing] ${prefix} failed to start: ${err.message}`);
          resolve(null);
        });
      });
      const handle: SystemProcess = {
        name,
        index,
        pid: child.pid ?? -1,
        replicaId,
        kill: (signal: NodeJS.Signals = 'SIGTERM') => child.kill(signal),
        exited,
      };
      const slot: Slot = { name, index, generation, handle, child };
      slots.set(key(name, index), slot);
      return slot;
    };

    for (const name of services) {
      const count = name === 'chat' ? chatReplicas : name === 'auth' ? authReplicas : 1;
      for (let i = 0; i < count; i++) spawnSlot(name, i, 0);
    }

    const readinessPath = !services.includes('gateway')
      ? undefined
      : ALL_SERVICES.every((s) => services.includes(s))
        ? '/readyz'
        : '/healthz';

    const waitReady = async (timeoutMs: number, watched: Slot[]) => {
      if (!readinessPath) return;
      // Fail fast when a process dies during startup.
      let died: string | undefined;
      for (const slot of watched) {
        void slot.handle.exited.then((code) => {
          if (slots.get(key(slot.name, slot.index)) === slot && !stopped) died ??= `${slot.name}#${slot.index} exited (code ${code})`;
        });
      }
      let lastStatus = 'no answer';
      try {
        await waitFor(
          async () => {
            if (died) return true;
            try {
              const res = await fetch(gatewayUrl + readinessPath, { signal: AbortSignal.timeout(2_000) });
              const body = await res.text();
              lastStatus = `${res.status} ${body.slice(0, 300)}`;
              return res.status === 200;
            } catch (err) {
              lastStatus = `no answer (${(err as Error).message})`;
              return false;
            }
          },
          { timeoutMs, intervalMs: 100, description: `${gatewayUrl}${readinessPath}` },
        );
      } catch {
        died ??= `not ready within ${timeoutMs} ms: GET ${readinessPath} → ${lastStatus}`;
      }
      if (died) {
        const tail = logTail(60);
        process.stderr.write(`[testing] startSystem: ${died}\n--- ${logFile} (tail) ---\n${tail}\n---\n`);
        throw new Error(`startSystem: ${died}; log ${logFile}:\n${tail}`);
      }
    };

    await waitReady(opts.readyTimeoutMs ?? 60_000, [...slots.values()]);

    const system: System = {
      gatewayUrl,
      simulator,
      devIdp,
      llmBaseUrl,
      databaseUrl: testDb.url,
      natsNamespace: baseEnv['HARNESS_NATS_NAMESPACE']!,
      natsUrl: natsServer.url,
      natsConnectOptions: (who) => natsServer.connectOptions(who),
      redisUrl: baseEnv['REDIS_URL']!,
      db,
      jwtSecret,
      encryptionKey,
      jobSigningKey,
      logFile,
      logTail,
      token: (userId, ttl = '1h') => signToken(jwtSecret, userId, ttl),
      process(name, index = 0) {
        const slot = slots.get(key(name, index));
        if (!slot) throw new Error(`startSystem: no process ${name}#${index} (services: ${services.join(',')})`);
        return slot.handle;
      },
      async restart(name, index = 0) {
        const slot = slots.get(key(name, index));
        if (!slot) throw new Error(`startSystem: no process ${name}#${index}`);
        if (stopped) throw new Error('startSystem: system is stopped');
        await stopChild(slot);
        const fresh = spawnSlot(name, index, slot.generation + 1);
        await waitReady(opts.readyTimeoutMs ?? 60_000, [fresh]);
        return fresh.handle;
      },
      stop,
    };
    return system;
  } catch (err) {
    await stop();
    throw err;
  }
}
