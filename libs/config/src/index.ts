import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * The one place that reads process.env. Validated once at boot; a bad value stops the process with a clear message.
 * Everything else receives a typed Config.
 */

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** A per-user rate limit: at most `points` requests per `durationSeconds`. */
export interface RateLimitSpec {
  points: number;
  durationSeconds: number;
}
const DURATION_SECONDS = { s: 1, m: 60, h: 3_600 } as const;
/** `<count>/<duration>` with the duration as 30s, 1m or 1h (e.g. `60/1m`), or `off`. */
export function parseRateLimit(raw: string): RateLimitSpec | null {
  if (raw.trim() === 'off') return null;
  const m = /^\s*(\d{1,7})\s*\/\s*(\d{1,5})([smh])\s*$/.exec(raw);
  if (!m) throw new Error('expected <count>/<duration> (e.g. 60/1m, 10/30s, 500/1h) or off');
  const spec = { points: Number(m[1]), durationSeconds: Number(m[2]) * DURATION_SECONDS[m[3] as keyof typeof DURATION_SECONDS] };
  if (spec.points < 1 || spec.durationSeconds < 1 || spec.durationSeconds > 86_400) throw new Error('count must be at least 1 and the duration 1s..24h');
  return spec;
}
const rateLimit = (def: string) =>
  z
    .string()
    .default(def)
    .transform((raw, ctx) => {
      try {
        return parseRateLimit(raw);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });
const cap = (def: number) => z.coerce.number().int().min(1).max(10_000_000).default(def);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEWAY_PORT: int(3000),
  /** A port of its own for GET /metrics (then not served on GATEWAY_PORT), e.g. one only the scraper can reach. */
  HARNESS_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  HARNESS_METRICS_HOST: z.string().default('0.0.0.0'),
  /** When set, GET /metrics needs `Authorization: Bearer <this>`. */
  HARNESS_METRICS_TOKEN: z.string().min(16, 'HARNESS_METRICS_TOKEN must be at least 16 characters').optional(),
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/harness'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** Prefix of every NATS subject: deployments (or tests) sharing one NATS server stay apart. */
  HARNESS_NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'HARNESS_NATS_NAMESPACE must be 1..64 of [A-Za-z0-9_-]').default('harness'),
  /** This service's NATS user and password (docs/operations.md, "The internal network"). Required in production. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** Production without NATS credentials: only when the NATS server is reachable by nothing else (stated explicitly). */
  HARNESS_NATS_ALLOW_ANONYMOUS: bool.default(false),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  HARNESS_JWT_SECRET: z.string().min(16, 'HARNESS_JWT_SECRET must be at least 16 characters').optional(),
  /** An external IdP's access tokens as bearers (internal consumers): its JWKS, issuer and the audience Harness is. */
  HARNESS_JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'HARNESS_JWT_JWKS_URL must be an http(s) URL' }).optional(),
  HARNESS_JWT_ISSUER: z.string().min(1).max(2_000).optional(),
  HARNESS_JWT_AUDIENCE: z.string().min(1).max(2_000).optional(),
  /** The login provider whose identities the external tokens' `sub` are (then mapped to that identity's Harness user). */
  HARNESS_JWT_LOGIN_PROVIDER: z.string().min(1).max(40).optional(),
  LLM_BASE_URL: z.string().url().default('https://openrouter.ai/api/v1'),
  LLM_API_KEY: z.string().optional(),
  HARNESS_ENCRYPTION_KEY: z.string().optional(),
  /** HMAC key with which chat signs each MCP tool call and the mcp-broker's worker checks it (chat and mcp-broker only). */
  HARNESS_JOB_SIGNING_KEY: z.string().min(32, 'HARNESS_JOB_SIGNING_KEY must be at least 32 characters').optional(),
  /** Keys HARNESS_ENCRYPTION_KEY replaced (comma-separated, same format): still read, never written. */
  HARNESS_ENCRYPTION_KEY_PREVIOUS: list,
  WEB_ORIGIN: z.url({ protocol: /^https?$/, error: "WEB_ORIGIN must be an http(s) origin" }).optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: "PUBLIC_URL must be an http(s) URL" }).optional(),
  HARNESS_OUTBOUND_ALLOWLIST: list,
  HARNESS_ADMIN_USERS: list,
  /** The built web app the gateway serves at `/` (default: apps/web/dist of this checkout). */
  HARNESS_WEB_DIR: z.string().min(1).optional(),
  HARNESS_REPLICA_ID: z.string().optional(),
  /** How long a chat replica's claim on a running conversation lasts without renewal. */
  CHAT_LEASE_TTL_MS: int(6_000),
  CHAT_REAPER_INTERVAL_MS: int(2_000),
  /** Durable path: deltas are appended in batches of at most this many events or this many ms. */
  CHAT_FLUSH_INTERVAL_MS: int(50),
  CHAT_FLUSH_MAX_EVENTS: int(200),
  /** Live events not yet in Postgres before the run waits for a flush (bounds memory and the takeover jump). */
  CHAT_MAX_UNFLUSHED_EVENTS: int(1000),
  /** An LLM stream that sends nothing for this long is failed. */
  LLM_STALL_TIMEOUT_MS: int(60_000),
  LLM_REQUEST_TIMEOUT_MS: int(600_000),
  /** How long to wait for the provider's usage chunk after an interrupt. */
  LLM_USAGE_DRAIN_MS: int(1_500),
  /** JSON: {"model-id": {"prompt": usd per token, "completion": usd per token}}. Merged over the built-in table. */
  LLM_PRICES: z.string().optional(),
  /** OpenRouter's extensions (usage.include for cost, generation stats for usage after an abort): auto = when LLM_BASE_URL is OpenRouter. */
  LLM_OPENROUTER_EXTENSIONS: z.enum(['auto', 'true', 'false']).default('auto'),
  /** How a harness's reasoning effort is sent: auto = `openrouter` when LLM_BASE_URL is OpenRouter, else `openai`. */
  LLM_REASONING_PARAM: z.enum(['auto', 'openrouter', 'openai', 'none']).default('auto'),
  /** Messages that may wait in one conversation's queue, and the bytes their content may take (as JSON). */
  CHAT_MAX_QUEUED_MESSAGES: z.coerce.number().int().min(1).max(1_000).default(20),
  CHAT_MAX_QUEUE_BYTES: z.coerce.number().int().min(1_024).max(64 * 1024 * 1024).default(2 * 1024 * 1024),
  /** Most LLM calls of one run (tool loop steps). */
  CHAT_MAX_STEPS: z.coerce.number().int().min(1).max(100).default(10),
  HARNESS_MCP_TOOL_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
  HARNESS_MCP_TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(15 * 60_000).default(60_000),
  /** How long an MCP server's question to the user (elicitation) waits for an answer before it is cancelled. */
  HARNESS_ELICITATION_TIMEOUT_MS: z.coerce.number().int().min(100).max(60 * 60_000).default(5 * 60_000),
  /** An MCP session unused this long is closed (with an MCP DELETE). */
  HARNESS_MCP_SESSION_IDLE_TTL_MS: z.coerce.number().int().min(100).max(24 * 3_600_000).default(5 * 60_000),
  /** Most open MCP sessions of one broker replica, per server URL and in total (least recently used idle ones are closed first). */
  HARNESS_MCP_MAX_SESSIONS_PER_SERVER: z.coerce.number().int().min(1).max(100_000).default(50),
  HARNESS_MCP_MAX_SESSIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  /** Tool calls one broker replica runs at once against one MCP server (the rest wait their turn). */
  HARNESS_MCP_PER_SERVER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(8),
  /** Open MCP sessions of one user in one broker replica (the user's least recently used idle one is closed first). */
  HARNESS_MCP_MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(50),
  /** Most bytes of one MCP server response after decompression: a JSON body in total, an SSE stream per event. */
  HARNESS_MCP_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1_024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Most bytes of one server's tool list (all its tools/list pages, as JSON). */
  HARNESS_MCP_MAX_LISTING_BYTES: z.coerce.number().int().min(1_024).max(256 * 1024 * 1024).default(1024 * 1024),
  /** Most bytes (as JSON) of the tool listings a broker replica keeps cached. */
  HARNESS_MCP_LISTING_CACHE_BYTES: z.coerce.number().int().min(0).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  SSE_HEARTBEAT_MS: int(15_000),
  /** Per-user rate limits of the costly endpoints, across gateway replicas (docs/operations.md says which routes each covers). */
  HARNESS_RATE_LIMIT_MESSAGES: rateLimit('60/1m'),
  HARNESS_RATE_LIMIT_CONVERSATION_CREATES: rateLimit('30/1m'),
  HARNESS_RATE_LIMIT_HARNESS_WRITES: rateLimit('30/1m'),
  HARNESS_RATE_LIMIT_TOOL_LISTS: rateLimit('30/1m'),
  HARNESS_RATE_LIMIT_OAUTH_STARTS: rateLimit('10/1m'),
  /** Sign-in starts (GET /auth/login/:providerId) per client IP: each stores a login state in Redis for 10 minutes. */
  HARNESS_RATE_LIMIT_LOGINS: rateLimit('30/1m'),
  /**
   * API keys and session cookies the auth service found invalid, per client IP: past it, that address's unknown
   * credentials are refused (429) without asking the auth service until the window ends.
   */
  HARNESS_RATE_LIMIT_AUTH_FAILURES: rateLimit('60/1m'),
  /** Login providers, JSON (see LoginProviderSchema and docs/api.md). Empty outside production: `npm start` uses the dev IdP. */
  HARNESS_LOGIN_PROVIDERS: z.string().optional(),
  /** Per-user caps: open SSE streams (across gateway replicas), harnesses, live conversations (OAuth flows: HARNESS_OAUTH_MAX_PENDING_PER_USER). */
  HARNESS_MAX_STREAMS_PER_USER: cap(50),
  HARNESS_MAX_HARNESSES_PER_USER: cap(100),
  HARNESS_MAX_CONVERSATIONS_PER_USER: cap(10_000),
  /** Bytes buffered for one SSE client before it is cut off (it can resume with Last-Event-ID). */
  SSE_MAX_BUFFERED_BYTES: int(4 * 1024 * 1024),
  DEV_TOKEN_TTL: z.string().default('30d'),
  /**
   * Pre-registered OAuth clients for MCP authorization servers, JSON:
   * [{"issuer": "https://github.com/login/oauth", "servers": ["https://api.githubcopilot.com/mcp/"], "clientId": "...", "clientSecret": "...", "tokenEndpointAuthMethod": "client_secret_post", "scopes": ["repo"]}]
   * `servers` (required): the MCP server URLs (exact, canonical) or origins (any server there) the client is used for;
   * other servers naming the same issuer never get it (validated by services/auth at boot).
   */
  HARNESS_OAUTH_CLIENTS: z.string().optional(),
  /** The https URL of Harness's OAuth Client ID Metadata Document (used as client_id where servers support CIMD). Unset: `${PUBLIC_URL}/oauth/client-metadata.json` when PUBLIC_URL is https, else CIMD is not offered. */
  HARNESS_OAUTH_CLIENT_METADATA_URL: z.url().optional(),
  /** The redirect URI registered for MCP OAuth. Default `${PUBLIC_URL}/v1/mcp/oauth/callback`. */
  HARNESS_OAUTH_REDIRECT_URL: z.url().optional(),
  /** How long an authorization (state) may take, start to callback. */
  HARNESS_OAUTH_STATE_TTL_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(600_000),
  /** Pending (unexpired, unused) authorizations one user may have at once; the next start is refused (429) until one expires. */
  HARNESS_OAUTH_MAX_PENDING_PER_USER: z.coerce.number().int().min(1).max(1_000).default(10),
  HARNESS_API_KEYS_MAX_PER_USER: z.coerce.number().int().min(1).max(1_000).default(50),
  /** Browser sessions (the auth service): absolute lifetime, idle timeout (both 1 minute..400 days), sessions per user (the oldest are ended beyond it). */
  HARNESS_SESSION_MAX_AGE_SECONDS: z.coerce.number().int().min(60).max(400 * 86_400).default(30 * 86_400),
  HARNESS_SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).max(400 * 86_400).default(7 * 86_400),
  HARNESS_SESSIONS_MAX_PER_USER: z.coerce.number().int().min(1).max(1_000).default(50),
  /** Every user's monthly cost budget (USD) unless an admin set their own; unset: unlimited. */
  HARNESS_DEFAULT_MONTHLY_BUDGET_USD: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .trim()
      .regex(/^\d{1,10}(\.\d{1,8})?$/, 'must be a positive decimal number of US dollars, e.g. 25 or 0.5 (at most 8 decimals)')
      .transform(Number)
      .refine((n) => n > 0 && n <= 1_000_000_000, 'must be more than 0 and at most 1000000000')
      .optional(),
  ),
  /** Refresh an access token this long before it expires. */
  HARNESS_OAUTH_REFRESH_SKEW_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  HARNESS_PRETTY_LOGS: bool.optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export const RATE_LIMIT_CLASSES = ['messages', 'conversationCreates', 'harnessWrites', 'toolLists', 'oauthStarts', 'logins', 'authFailures'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  replicaId: string;
  gateway: {
    port: number; publicUrl: string; webOrigin: string; webDir: string | undefined; adminUsers: string[]; sseHeartbeatMs: number; sseMaxBufferedBytes: number;
    /** Where /metrics is served: on `port` (metricsPort undefined) or a port of its own; `metricsToken` guards it. */
    metricsPort: number | undefined; metricsHost: string; metricsToken: string | undefined;
  };
  /** Per-user limits the gateway enforces (null: that rate limit is off). */
  limits: {
    rates: Record<RateLimitClass, RateLimitSpec | null>;
    maxStreamsPerUser: number;
    maxHarnessesPerUser: number;
    maxConversationsPerUser: number;
  };
  databaseUrl: string;
  natsUrl: string;
  natsNamespace: string;
  /** This service's NATS credentials; undefined: connect without (development and tests against an open server). */
  nats: { user: string; password: string } | undefined;
  redisUrl: string;
  jwtSecret: string;
  encryptionKey: Buffer;
  previousEncryptionKeys: Buffer[];
  /** The tool call signing key: set for the services that sign (chat) or check (mcp-broker) tool calls, never others. */
  jobSigningKey: Buffer | undefined;
  outboundAllowlist: string[];
  llm: {
    baseUrl: string;
    apiKey: string | undefined;
    stallTimeoutMs: number;
    requestTimeoutMs: number;
    usageDrainMs: number;
    pricesJson: string | undefined;
    openRouterExtensions: boolean;
    /** `openrouter`: `reasoning: {effort}`; `openai`: `reasoning_effort`; `none`: never sent. */
    reasoningParam: 'openrouter' | 'openai' | 'none';
  };
  chat: {
    leaseTtlMs: number;
    reaperIntervalMs: number;
    flushIntervalMs: number;
    flushMaxEvents: number;
    maxUnflushedEvents: number;
    maxSteps: number;
    maxQueuedMessages: number;
    maxQueueBytes: number;
  };
  /** MCP tool calls: how many the broker's worker runs at once, and each call's timeout. */
  mcp: {
    toolConcurrency: number; toolTimeoutMs: number; perServerConcurrency: number; sessionIdleTtlMs: number; maxSessionsPerServer: number; maxSessions: number;
    maxSessionsPerUser: number; maxResponseBytes: number; maxListingBytes: number; listingCacheBytes: number;
    /** HARNESS_ELICITATION_TIMEOUT_MS: an unanswered elicitation is cancelled after this long. */
    elicitationTimeoutMs: number;
  };
  oauth: {
    /** Raw JSON of pre-registered clients (parsed and validated by the auth service). */
    clientsJson: string | undefined;
    clientMetadataUrl: string | undefined;
    redirectUrl: string;
    stateTtlMs: number;
    maxPendingPerUser: number;
    refreshSkewMs: number;
    clientName: string;
  };
  /** API keys for programs (the auth service): keys per user, expired ones included until deleted. */
  apiKeys: { maxPerUser: number };
  /**
   * Access tokens of an external IdP accepted as bearers (HARNESS_JWT_JWKS_URL; null: none): verified by its JWKS,
   * issuer and audience; `sub` is the user id, or with `loginProviderId` the subject of an identity at that login
   * provider, mapped to its Harness user.
   */
  externalJwt: { jwksUrl: string; issuer: string; audience: string; loginProviderId: string | null } | null;
  /** People signing in (the gateway): the login providers of HARNESS_LOGIN_PROVIDERS, defaults applied. */
  login: { providers: LoginProvider[] };
  /** Browser sessions (the auth service): absolute and idle expiry, and how many one user may have open (the oldest are ended beyond). */
  sessions: { maxAgeSeconds: number; idleSeconds: number; maxPerUser: number };
  /** Monthly cost budgets: the default of a user without one of their own (null: unlimited). */
  budgets: { defaultMonthlyUsd: number | null };
  prettyLogs: boolean;
}

export class ConfigError extends Error {}

/**
 * The services that hold HARNESS_JOB_SIGNING_KEY: chat signs each tool call, the mcp-broker's worker checks it. The
 * others never read it (a gateway that held it could forge a call for any user).
 */
/** The rule for OpenRouter's request shapes and extensions: LLM_BASE_URL's host is openrouter.ai or a subdomain. */
const isOpenRouter = (baseUrl: string) => /(^|\.)openrouter\.ai$/.test(new URL(baseUrl).hostname);

const JOB_SIGNING_SERVICES = new Set(['chat', 'mcp-broker']);

/** Parses an environment (process.env by default). Throws ConfigError listing every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, service = 'harness'): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.HARNESS_JWT_SECRET) throw new ConfigError('HARNESS_JWT_SECRET is required in production');
  if (production && !e.HARNESS_ENCRYPTION_KEY) throw new ConfigError('HARNESS_ENCRYPTION_KEY is required in production');
  if (Boolean(e.NATS_USER) !== Boolean(e.NATS_PASSWORD)) throw new ConfigError('NATS_USER and NATS_PASSWORD must be set together');
  if (production && !e.NATS_USER && !e.HARNESS_NATS_ALLOW_ANONYMOUS) {
    throw new ConfigError('NATS_USER and NATS_PASSWORD are required in production (this service\'s NATS credentials; see docs/operations.md), or set HARNESS_NATS_ALLOW_ANONYMOUS=true');
  }
  if (production && service === 'gateway' && !e.HARNESS_METRICS_TOKEN && e.HARNESS_METRICS_PORT === undefined) {
    // /metrics names conversations in flight, queue depths and error rates: not for anyone who can reach the API.
    throw new ConfigError('in production /metrics needs HARNESS_METRICS_TOKEN or a port of its own (HARNESS_METRICS_PORT)');
  }
  if (e.HARNESS_METRICS_PORT !== undefined && e.HARNESS_METRICS_PORT === e.GATEWAY_PORT) {
    throw new ConfigError('HARNESS_METRICS_PORT must differ from GATEWAY_PORT');
  }
  const signsJobs = JOB_SIGNING_SERVICES.has(service);
  if (production && signsJobs && !e.HARNESS_JOB_SIGNING_KEY) throw new ConfigError('HARNESS_JOB_SIGNING_KEY is required in production');

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.GATEWAY_PORT}`).replace(/\/$/, '');
  const loginProviders = parseLoginProviders(e.HARNESS_LOGIN_PROVIDERS);
  if (production && service === 'gateway') {
    if (loginProviders.length === 0) throw new ConfigError('HARNESS_LOGIN_PROVIDERS must name at least one login provider in production (see docs/operations.md)');
    const dev = loginProviders.find((p) => p.dev);
    if (dev) throw new ConfigError(`HARNESS_LOGIN_PROVIDERS: provider "${dev.id}" is the development IdP (tools/dev-idp), which signs anyone in without a password: not in production`);
  }
  const externalJwt = parseExternalJwt(e, loginProviders, service === 'gateway');
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    replicaId: e.HARNESS_REPLICA_ID ?? `${service}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    gateway: {
      port: e.GATEWAY_PORT,
      metricsPort: e.HARNESS_METRICS_PORT,
      metricsHost: e.HARNESS_METRICS_HOST,
      metricsToken: e.HARNESS_METRICS_TOKEN,
      publicUrl,
      // The app is served by the gateway itself, so its origin is the gateway's public one unless set apart.
      webOrigin: e.WEB_ORIGIN ?? new URL(publicUrl).origin,
      webDir: e.HARNESS_WEB_DIR,
      adminUsers: e.HARNESS_ADMIN_USERS,
      sseHeartbeatMs: e.SSE_HEARTBEAT_MS,
      sseMaxBufferedBytes: e.SSE_MAX_BUFFERED_BYTES,
    },
    limits: {
      rates: {
        messages: e.HARNESS_RATE_LIMIT_MESSAGES,
        conversationCreates: e.HARNESS_RATE_LIMIT_CONVERSATION_CREATES,
        harnessWrites: e.HARNESS_RATE_LIMIT_HARNESS_WRITES,
        toolLists: e.HARNESS_RATE_LIMIT_TOOL_LISTS,
        oauthStarts: e.HARNESS_RATE_LIMIT_OAUTH_STARTS,
        logins: e.HARNESS_RATE_LIMIT_LOGINS,
        authFailures: e.HARNESS_RATE_LIMIT_AUTH_FAILURES,
      },
      maxStreamsPerUser: e.HARNESS_MAX_STREAMS_PER_USER,
      maxHarnessesPerUser: e.HARNESS_MAX_HARNESSES_PER_USER,
      maxConversationsPerUser: e.HARNESS_MAX_CONVERSATIONS_PER_USER,
    },
    databaseUrl: e.DATABASE_URL,
    natsUrl: e.NATS_URL,
    natsNamespace: e.HARNESS_NATS_NAMESPACE,
    nats: e.NATS_USER && e.NATS_PASSWORD ? { user: e.NATS_USER, password: e.NATS_PASSWORD } : undefined,
    redisUrl: e.REDIS_URL,
    jwtSecret: e.HARNESS_JWT_SECRET ?? devSecret('HARNESS_JWT_SECRET'),
    encryptionKey: parseEncryptionKey(e.HARNESS_ENCRYPTION_KEY ?? devSecret('HARNESS_ENCRYPTION_KEY')),
    previousEncryptionKeys: e.HARNESS_ENCRYPTION_KEY_PREVIOUS.map(parseEncryptionKey),
    jobSigningKey: signsJobs ? Buffer.from(e.HARNESS_JOB_SIGNING_KEY ?? devSecret('HARNESS_JOB_SIGNING_KEY'), 'utf8') : undefined,
    outboundAllowlist: e.HARNESS_OUTBOUND_ALLOWLIST,
    llm: {
      baseUrl: e.LLM_BASE_URL.replace(/\/$/, ''),
      apiKey: e.LLM_API_KEY || undefined,
      stallTimeoutMs: e.LLM_STALL_TIMEOUT_MS,
      requestTimeoutMs: e.LLM_REQUEST_TIMEOUT_MS,
      usageDrainMs: e.LLM_USAGE_DRAIN_MS,
      pricesJson: e.LLM_PRICES,
      openRouterExtensions:
        e.LLM_OPENROUTER_EXTENSIONS === 'auto' ? isOpenRouter(e.LLM_BASE_URL) : e.LLM_OPENROUTER_EXTENSIONS === 'true',
      reasoningParam: e.LLM_REASONING_PARAM === 'auto' ? (isOpenRouter(e.LLM_BASE_URL) ? 'openrouter' : 'openai') : e.LLM_REASONING_PARAM,
    },
    chat: {
      leaseTtlMs: e.CHAT_LEASE_TTL_MS,
      reaperIntervalMs: e.CHAT_REAPER_INTERVAL_MS,
      flushIntervalMs: e.CHAT_FLUSH_INTERVAL_MS,
      flushMaxEvents: Math.max(1, e.CHAT_FLUSH_MAX_EVENTS),
      maxUnflushedEvents: Math.max(1, e.CHAT_MAX_UNFLUSHED_EVENTS),
      maxSteps: e.CHAT_MAX_STEPS,
      maxQueuedMessages: e.CHAT_MAX_QUEUED_MESSAGES,
      maxQueueBytes: e.CHAT_MAX_QUEUE_BYTES,
    },
    mcp: { toolConcurrency: e.HARNESS_MCP_TOOL_CONCURRENCY, toolTimeoutMs: e.HARNESS_MCP_TOOL_TIMEOUT_MS, perServerConcurrency: e.HARNESS_MCP_PER_SERVER_CONCURRENCY,
      sessionIdleTtlMs: e.HARNESS_MCP_SESSION_IDLE_TTL_MS, maxSessionsPerServer: e.HARNESS_MCP_MAX_SESSIONS_PER_SERVER, maxSessions: e.HARNESS_MCP_MAX_SESSIONS,
      maxSessionsPerUser: e.HARNESS_MCP_MAX_SESSIONS_PER_USER, maxResponseBytes: e.HARNESS_MCP_MAX_RESPONSE_BYTES, maxListingBytes: e.HARNESS_MCP_MAX_LISTING_BYTES,
      listingCacheBytes: e.HARNESS_MCP_LISTING_CACHE_BYTES, elicitationTimeoutMs: e.HARNESS_ELICITATION_TIMEOUT_MS },
    oauth: {
      clientsJson: e.HARNESS_OAUTH_CLIENTS,
      clientMetadataUrl: e.HARNESS_OAUTH_CLIENT_METADATA_URL ?? (publicUrl.startsWith('https://') ? `${publicUrl}/oauth/client-metadata.json` : undefined),
      redirectUrl: e.HARNESS_OAUTH_REDIRECT_URL ?? `${publicUrl}/v1/mcp/oauth/callback`,
      stateTtlMs: e.HARNESS_OAUTH_STATE_TTL_MS,
      maxPendingPerUser: e.HARNESS_OAUTH_MAX_PENDING_PER_USER,
      refreshSkewMs: e.HARNESS_OAUTH_REFRESH_SKEW_MS,
      clientName: 'Harness',
    },
    apiKeys: { maxPerUser: e.HARNESS_API_KEYS_MAX_PER_USER },
    externalJwt,
    login: { providers: loginProviders },
    sessions: {
      maxAgeSeconds: e.HARNESS_SESSION_MAX_AGE_SECONDS,
      // An idle timeout longer than the lifetime could never apply (a shorter lifetime set alone keeps the idle default).
      idleSeconds: Math.min(e.HARNESS_SESSION_IDLE_SECONDS, e.HARNESS_SESSION_MAX_AGE_SECONDS),
      maxPerUser: e.HARNESS_SESSIONS_MAX_PER_USER,
    },
    budgets: { defaultMonthlyUsd: e.HARNESS_DEFAULT_MONTHLY_BUDGET_USD ?? null },
    prettyLogs: e.HARNESS_PRETTY_LOGS ?? false,
  };
}

const HTTP_URL = z.url({ protocol: /^https?$/ }).max(2_000);
/**
 * Cross-App Access (SEP-990, Enterprise-Managed Authorization) with a login provider: the auth service exchanges the
 * ID token of a user's session at this provider (RFC 8693) for an identity assertion grant to an MCP server's
 * authorization server that trusts this provider. Kept apart from the base schema: only the auth service reads it.
 */
const CrossAppAccessSchema = z.object({ enabled: z.boolean() }).strict();
const LoginProviderSchema = z
  .object({
    /** In the login and callback paths, and the identity's provider (the same id must keep naming the same provider). */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'id must be 1..40 of [a-z0-9_-], starting with a letter or digit'),
    type: z.enum(['oidc', 'github']),
    /** Shown on the sign-in button. */
    name: z.string().min(1).max(100),
    /** OIDC: the issuer; discovery at `${issuer}/.well-known/openid-configuration`, whose `issuer` must equal it exactly. */
    issuer: HTTP_URL.optional(),
    clientId: z.string().min(1).max(500),
    /** None: a public client (token endpoint auth `none`, PKCE only). */
    clientSecret: z.string().min(1).max(2_000).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/, 'a scope is 1..200 visible ASCII characters, no quote or backslash')).max(50).optional(),
    /** OIDC: how the client authenticates at the token endpoint (default: client_secret_basic when the provider supports it, else client_secret_post; none without a secret). */
    tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'none']).optional(),
    /** GitHub (GitHub Enterprise Server, or a GitHub-shaped server): default github.com's and api.github.com's. */
    authorizationUrl: HTTP_URL.optional(),
    tokenUrl: HTTP_URL.optional(),
    apiUrl: HTTP_URL.optional(),
    /** Set only by `npm start` and libs/testing for tools/dev-idp (no passwords): refused in production. */
    dev: z.boolean().optional(),
    /** OIDC: Cross-App Access (SEP-990) — the auth service may exchange this provider's ID tokens for ID-JAGs (see CrossAppAccessSchema). */
    crossAppAccess: CrossAppAccessSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type === 'oidc' && !p.issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'an OIDC provider needs its issuer' });
    if (p.type === 'oidc' && p.issuer && /[?#]/.test(p.issuer)) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'the issuer has no query or fragment' });
    if (p.type === 'github' && !p.clientSecret) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'a GitHub OAuth app needs its client secret' });
    if (p.type === 'github' && p.crossAppAccess) ctx.addIssue({ code: 'custom', path: ['crossAppAccess'], message: 'Cross-App Access needs an OIDC provider (ID tokens)' });
    if (p.type === 'github' && p.issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'issuer is for OIDC providers (GitHub takes authorizationUrl, tokenUrl, apiUrl)' });
    if (p.type === 'oidc' && (p.authorizationUrl || p.tokenUrl || p.apiUrl)) {
      ctx.addIssue({ code: 'custom', path: ['authorizationUrl'], message: 'an OIDC provider\'s endpoints come from its discovery document' });
    }
    if (p.tokenEndpointAuthMethod && p.tokenEndpointAuthMethod !== 'none' && !p.clientSecret) {
      ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: `${p.tokenEndpointAuthMethod} needs a clientSecret` });
    }
  });

export const GITHUB_DEFAULTS = {
  authorizationUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  apiUrl: 'https://api.github.com',
  scopes: ['read:user', 'user:email'],
} as const;
const OIDC_DEFAULT_SCOPES = ['openid', 'profile', 'email'];

interface LoginProviderBase {
  id: string;
  name: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string[];
  dev: boolean;
}
export interface OidcLoginProvider extends LoginProviderBase {
  type: 'oidc';
  issuer: string;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none' | undefined;
  /** Cross-App Access enabled for this provider (`crossAppAccess.enabled`). */
  crossAppAccess: boolean;
}
export interface GitHubLoginProvider extends LoginProviderBase {
  type: 'github';
  authorizationUrl: string;
  tokenUrl: string;
  /** No trailing slash. */
  apiUrl: string;
}
/** A login provider of HARNESS_LOGIN_PROVIDERS with its defaults applied. */
export type LoginProvider = OidcLoginProvider | GitHubLoginProvider;

/** HARNESS_LOGIN_PROVIDERS → providers (empty when unset); throws ConfigError naming the bad entry and field. */
/** `checkProvider`: only the gateway (which verifies these tokens) is given HARNESS_LOGIN_PROVIDERS to check the name against. */
function parseExternalJwt(e: z.infer<typeof EnvSchema>, providers: LoginProvider[], checkProvider: boolean): Config['externalJwt'] {
  const { HARNESS_JWT_JWKS_URL: jwksUrl, HARNESS_JWT_ISSUER: issuer, HARNESS_JWT_AUDIENCE: audience, HARNESS_JWT_LOGIN_PROVIDER: loginProviderId } = e;
  if (!jwksUrl) {
    if (issuer || audience || loginProviderId) throw new ConfigError('HARNESS_JWT_ISSUER, HARNESS_JWT_AUDIENCE and HARNESS_JWT_LOGIN_PROVIDER need HARNESS_JWT_JWKS_URL');
    return null;
  }
  if (!issuer || !audience) throw new ConfigError('HARNESS_JWT_JWKS_URL needs HARNESS_JWT_ISSUER and HARNESS_JWT_AUDIENCE (tokens of any issuer or audience are never accepted)');
  if (loginProviderId !== undefined && checkProvider) {
    const provider = providers.find((p) => p.id === loginProviderId);
    if (!provider) throw new ConfigError(`HARNESS_JWT_LOGIN_PROVIDER: no login provider "${loginProviderId}" in HARNESS_LOGIN_PROVIDERS`);
    if (provider.type !== 'oidc') throw new ConfigError(`HARNESS_JWT_LOGIN_PROVIDER: provider "${loginProviderId}" is not an OpenID Connect provider`);
  }
  return { jwksUrl, issuer, audience, loginProviderId: loginProviderId ?? null };
}

export function parseLoginProviders(raw: string | undefined): LoginProvider[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError('HARNESS_LOGIN_PROVIDERS is not valid JSON');
  }
  const parsed = z.array(LoginProviderSchema).max(20).safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  HARNESS_LOGIN_PROVIDERS.${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const ids = new Set<string>();
  return parsed.data.map((p): LoginProvider => {
    if (ids.has(p.id)) throw new ConfigError(`HARNESS_LOGIN_PROVIDERS: the id "${p.id}" is used twice`);
    ids.add(p.id);
    const base = { id: p.id, name: p.name, clientId: p.clientId, clientSecret: p.clientSecret, dev: p.dev ?? false };
    if (p.type === 'github') {
      return {
        ...base, type: 'github', scopes: p.scopes ?? [...GITHUB_DEFAULTS.scopes],
        authorizationUrl: p.authorizationUrl ?? GITHUB_DEFAULTS.authorizationUrl,
        tokenUrl: p.tokenUrl ?? GITHUB_DEFAULTS.tokenUrl,
        apiUrl: (p.apiUrl ?? GITHUB_DEFAULTS.apiUrl).replace(/\/$/, ''),
      };
    }
    const scopes = p.scopes ?? OIDC_DEFAULT_SCOPES;
    return {
      ...base, type: 'oidc', issuer: p.issuer!, tokenEndpointAuthMethod: p.tokenEndpointAuthMethod,
      crossAppAccess: p.crossAppAccess?.enabled === true,
      scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    };
  });
}

/** Accepts 32 bytes as base64 or hex, or derives 32 bytes from a passphrase (dev only). */
function parseEncryptionKey(raw: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  const b64 = Buffer.from(raw, 'base64');
  if (b64.length === 32) return b64;
  throw new ConfigError('HARNESS_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64');
}

const generated = new Map<string, string>();
/** Outside production a missing secret is generated for this process and announced once on stderr. */
function devSecret(name: string): string {
  let v = generated.get(name);
  if (!v) {
    v = name === 'HARNESS_ENCRYPTION_KEY' ? randomBytes(32).toString('hex') : randomBytes(32).toString('base64url');
    generated.set(name, v);
    process.stderr.write(`[config] ${name} is not set: generated one for this process (development only)\n`);
  }
  return v;
}
