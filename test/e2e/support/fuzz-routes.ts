import * as fc from 'fast-check';
import {
  headerValue,
  hostileBody,
  hostileEncoding,
  hostileQuery,
  junkValue,
  nastyString,
  oddText,
  validEncoding,
  type BodySpec,
} from './fuzz-inputs.js';
import type { RawRequest } from './raw-http.js';

/**
 * Every public route of docs/api.md as a generator of requests. A request is valid in every part, or hostile in one
 * part (the usual case: one mistake at a time reaches the checks behind the first), or hostile in several. The parts:
 * the token, the ids (in the path and in id fields of the body), the query, the body's content, its encoding, headers.
 */

export type Owner = 'mallory' | 'alice';
export type Actor = Owner | 'eve' | null;

/** An id placed where a resource is looked up, and whose resource it is (null: nobody's, or not of this kind). */
export interface Pick {
  text: string;
  owner: Owner | null;
}

export const PARTS = ['auth', 'ids', 'query', 'body', 'encoding', 'headers'] as const;
export type Part = (typeof PARTS)[number];

export interface FuzzRequest extends RawRequest {
  route: string;
  /** Who the Authorization header authenticates (null: nobody, the token is bad or missing). */
  actor: Actor;
  picks: Pick[];
  /** The parts made hostile ([]: a valid request). */
  hostile: Part[];
  /** Needs no token (ops routes, the OAuth callback, the client metadata document). */
  isPublic: boolean;
  /** May answer an HTML page (the OAuth callback). */
  html: boolean;
}

export interface Pools {
  harness: string[];
  server: string[];
  conversation: string[];
  message: string[];
  queueItem: string[];
}
export const emptyPools = (): Pools => ({ harness: [], server: [], conversation: [], message: [], queueItem: [] });

export interface AuthHeader {
  value: string | undefined;
  actor: Actor;
}

export interface FuzzContext {
  /** Mallory's resources made before the run (never deleted by it). */
  mine: Pools;
  /** Mallory's resources the run made (the only ones its DELETEs may name). */
  disposable: Pools;
  /** Alice's resources. */
  theirs: Pools;
  /** Authorization headers authenticating mallory (any accepted spelling). */
  validAuth: AuthHeader[];
  /** Another user's token, and tokens that authenticate nobody. */
  hostileAuth: AuthHeader[];
  /** Cursors the API answered, per route, for valid follow-up pages. */
  cursors: Map<string, string[]>;
  /** Mallory's queue items the API answered, and their conversations (so a valid request names both together). */
  queued: Map<string, string>;
}

const BAD_IDS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'null',
  '0',
  '-1',
  '00000000-0000-0000-0000-000000000000',
  '{8c1e6b8e-5d4a-4e0e-9d3b-1c2a3b4c5d6e}',
  '8C1E6B8E-5D4A-4E0E-9D3B-1C2A3B4C5D6E',
  '8c1e6b8e5d4a4e0e9d3b1c2a3b4c5d6e',
  '8c1e6b8e-5d4a-4e0e-9d3b-1c2a3b4c5d6e%00',
  'a'.repeat(3000),
];
const NOBODYS = '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f';
const withoutSurrogates = (s: string) => s.replace(/[\ud800-\udfff]/g, '?');

/** MCP servers only at closed local ports: the fuzzer must not send requests to anything else on this machine. */
const validUrl = fc.oneof(
  fc.constantFrom('http://127.0.0.1:1/mcp', 'https://localhost:1/', 'http://[::1]:1/x', 'http://user:pw@127.0.0.1:1/', 'http://127.0.0.1:1/%00', 'http://127.0.0.1:1/🙂?q=é#f'),
  oddText(100).map((p) => `http://127.0.0.1:1/${encodeURIComponent(withoutSurrogates(p))}`),
);
const hostileUrl = fc.oneof(
  fc.constantFrom('ftp://127.0.0.1:1/', 'javascript:alert(1)', 'file:///etc/passwd', 'data:text/plain,x', '//127.0.0.1:1', 'http://', 'http://[::1', 'http://127.0.0.1:1/\u0000', `http://127.0.0.1:1/${'a'.repeat(2100)}`),
  nastyString.filter((s) => s.length <= 2_100),
);

export function buildRoutes(ctx: FuzzContext): Record<string, () => fc.Arbitrary<FuzzRequest>> {
  /** An id of `kind`: mallory's own when valid (only ones the run made, for a DELETE); else alice's, a random UUID, another kind's, or garbage. */
  function idOf(kind: keyof Pools, hostile: boolean, deletable = false): fc.Arbitrary<Pick> {
    const from = (pool: () => string[], owner: Owner | null) =>
      fc.nat().map((n): Pick => {
        const p = pool();
        return p.length ? { text: p[n % p.length], owner } : { text: NOBODYS, owner: null };
      });
    if (!hostile) return from(() => (deletable ? ctx.disposable[kind] : [...ctx.mine[kind], ...ctx.disposable[kind]]), 'mallory');
    const others = (Object.keys(ctx.mine) as (keyof Pools)[]).filter((k) => k !== kind);
    return fc.oneof(
      { weight: 3, arbitrary: from(() => ctx.theirs[kind], 'alice') },
      { weight: 1, arbitrary: fc.uuid().map((text): Pick => ({ text, owner: null })) },
      { weight: 1, arbitrary: fc.constantFrom(...others).chain((k) => from(() => ctx.mine[k], null)) },
      { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS).map((text): Pick => ({ text, owner: null })) },
      { weight: 1, arbitrary: nastyString.filter((s) => s !== '' && s.length < 500).map((s): Pick => ({ text: encodeURIComponent(withoutSurrogates(s)), owner: null })) },
    );
  }

  const cursorQuery = (route: string, maxLimit: number) =>
    fc.oneof(
      fc.constant(''),
      fc.integer({ min: 1, max: maxLimit }).map((n) => `?limit=${n}`),
      fc.tuple(fc.integer({ min: 1, max: maxLimit }), fc.nat()).map(([n, i]) => {
        const pool = ctx.cursors.get(route) ?? [];
        return pool.length ? `?limit=${n}&cursor=${encodeURIComponent(pool[i % pool.length])}` : `?limit=${n}`;
      }),
    );

  type PathSpec = (string | { kind: keyof Pools; deletable?: boolean })[];
  interface RouteSpec {
    method: string;
    path: PathSpec;
    query?: { valid: fc.Arbitrary<string>; keys: string[] };
    /** A valid body, the keys a hostile one may spoil, and an id field filled like a path id. */
    body?: { valid: fc.Arbitrary<Record<string, unknown>>; keys: string[]; badValues?: Record<string, fc.Arbitrary<unknown>>; idField?: { key: string; kind: keyof Pools } };
    headers?: { valid: Record<string, fc.Arbitrary<string | undefined>>; hostile: Record<string, fc.Arbitrary<string | undefined>> };
    /** The path of a valid request when its ids must go together (a queue item and its conversation). */
    validPath?: fc.Arbitrary<(string | Pick)[]>;
    isPublic?: boolean;
    html?: boolean;
  }

  const hostility = (parts: Part[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<Part[]>([]) },
      { weight: 5, arbitrary: fc.constantFrom(...parts).map((p) => [p]) },
      { weight: 2, arbitrary: fc.subarray(parts, { minLength: 2 }) },
    );

  /** One request of a route, valid or hostile part by part. */
  function route(name: string, r: RouteSpec): () => fc.Arbitrary<FuzzRequest> {
    const hasIds = r.path.some((s) => typeof s !== 'string') || r.body?.idField !== undefined;
    const parts: Part[] = ['auth', 'headers', 'body', ...(r.body || r.method !== 'GET' ? (['encoding'] as const) : []), ...(hasIds ? (['ids'] as const) : []), ...(r.query ? (['query'] as const) : [])];
    return () =>
      hostility(parts).chain((hostile) => {
        const bad = (p: Part) => hostile.includes(p);
        const path =
          r.validPath && !bad('ids')
            ? r.validPath
            : fc.tuple(...r.path.map((s) => (typeof s === 'string' ? fc.constant<Pick | string>(s) : idOf(s.kind, bad('ids'), s.deletable))));
        const query = !r.query ? fc.constant('') : bad('query') ? hostileQuery(r.query.keys) : r.query.valid;
        const body: fc.Arbitrary<{ json: unknown; picks: Pick[] }> = !r.body
          ? bad('body')
            ? junkValue.map((json) => ({ json, picks: [] }))
            : fc.constant({ json: undefined, picks: [] })
          : fc.tuple(bad('body') ? hostileBody(r.body.valid, r.body.keys, r.body.badValues) : r.body.valid, r.body.idField ? idOf(r.body.idField.kind, bad('ids')) : fc.constant(undefined)).map(([json, pick]) => {
              const idField = r.body?.idField;
              // A hostile body that already spoilt the id field keeps its garbage there.
              if (!idField || !pick || typeof json !== 'object' || json === null || Array.isArray(json) || idField.key in json) return { json, picks: [] };
              return { json: { ...json, [idField.key]: pick.text }, picks: [pick] };
            });
        const spec: fc.Arbitrary<BodySpec | undefined> = body.chain(({ json }) =>
          json === undefined ? (bad('encoding') ? hostileEncoding('') : fc.constant(undefined)) : bad('encoding') ? hostileEncoding(json) : validEncoding(json),
        );
        const headers = fc.record(
          {
            'x-correlation-id': bad('headers') ? headerValue : fc.constantFrom(undefined, 'fuzz-1', 'a'.repeat(200)),
            ...(bad('headers') ? r.headers?.hostile : r.headers?.valid),
          },
          { requiredKeys: [] },
        );
        const auth = bad('auth') ? fc.constantFrom(...ctx.hostileAuth) : fc.constantFrom(...ctx.validAuth);
        return fc.record({ path, query, body, spec, headers, auth }).map((x): FuzzRequest => {
          const h: Record<string, string> = {};
          if (x.auth.value !== undefined) h.authorization = x.auth.value;
          for (const [k, v] of Object.entries(x.headers)) if (v !== undefined) h[k] = v;
          if (x.spec?.contentType !== undefined) h['content-type'] = x.spec.contentType;
          if (x.spec?.contentEncoding !== undefined) h['content-encoding'] = x.spec.contentEncoding;
          const pathPicks = x.path.filter((s): s is Pick => typeof s !== 'string');
          return {
            route: name,
            method: r.method,
            path: `/${x.path.map((s) => (typeof s === 'string' ? s : s.text)).join('/')}${x.query}`,
            headers: h,
            body: x.spec?.bytes,
            chunked: x.spec?.chunked,
            actor: x.auth.actor,
            picks: [...pathPicks, ...x.body.picks],
            hostile,
            isPublic: !!r.isPublic,
            html: !!r.html,
          };
        });
      });
  }

  const server = fc.oneof(
    fc.record({ name: oddText(200), url: validUrl }),
    fc.record({ name: oddText(200), url: validUrl, authType: fc.constant('none') }),
    fc.record({ name: oddText(200), url: validUrl, authType: fc.constant('bearer'), authToken: oddText(8192) }),
    fc.record({ name: oddText(200), url: validUrl, authType: fc.constant('oauth') }),
    fc.record({ name: oddText(200), url: validUrl, authType: fc.constant('client_credentials'), clientId: oddText(2_000), clientSecret: oddText(4_000) }),
    fc.record({ name: oddText(200), url: validUrl, authType: fc.constant('client_credentials'), clientId: oddText(2_000), privateKeyPem: oddText(16_384) }),
  );
  const serverWithId = fc.tuple(server, fc.option(idOf('server', false), { nil: undefined })).map(([s, id]) => (id ? { ...s, id: id.text } : s));
  const serverKeys = ['id', 'name', 'url', 'authType', 'authToken', 'clientId', 'clientSecret', 'privateKeyPem'];
  const harnessFields = {
    name: oddText(200),
    model: fc.constantFrom('sim/echo', 'sim/echo', 'unknown/model', 'é🙂'),
    systemPrompt: fc.oneof(oddText(2_000), fc.constant('x'.repeat(100_000))),
    mcpServers: fc.array(fc.oneof({ weight: 4, arbitrary: server }, { weight: 1, arbitrary: hostileBody(server, serverKeys, { url: hostileUrl }) }), { maxLength: 3 }),
    reasoning: fc.oneof(fc.constant(null), fc.record({ effort: fc.constantFrom('low', 'medium', 'high') })),
  };
  const harnessKeys = ['name', 'model', 'systemPrompt', 'mcpServers', 'mcps', 'reasoning'];
  const patchBody = fc.oneof(
    fc.record({ ...harnessFields, mcpServers: fc.array(serverWithId, { maxLength: 3 }) }, { requiredKeys: [] }),
    fc.record({ mcps: fc.array(validUrl, { maxLength: 3 }) }),
  );
  const textPart = fc.record({ type: fc.constant('text'), text: oddText(2_000) });
  const uiMessage = fc.record({ id: oddText(200), role: fc.constantFrom('user', 'assistant'), parts: fc.array(textPart, { minLength: 1, maxLength: 2 }) });
  const chatBody = fc.oneof(
    fc.record({ messages: fc.tuple(fc.array(uiMessage, { maxLength: 2 }), uiMessage).map(([history, last]) => [...history, { ...last, role: 'user' }]), trigger: fc.constant('submit-message') }),
    fc.record({ messages: fc.array(uiMessage, { maxLength: 2 }), trigger: fc.constant('regenerate-message'), messageId: idOf('message', false).map((p) => p.text) }, { requiredKeys: ['messages', 'trigger'] }),
  );
  const seq = fc.integer({ min: 0, max: 60 }).map(String);
  const hostileSeq = fc.oneof(fc.constantFrom('2147483647', '2147483648', '-1', ' 3', '1e2', '9999999999', '00000000001', '', '0x1'), headerValue);
  const accept = fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*');
  const hostileAccept = fc.oneof(fc.constantFrom('text/event-stream;q=0', 'text/event-stream, application/json', 'TEXT/EVENT-STREAM', 'text/html', ''), headerValue);
  const date = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => encodeURIComponent(d.toISOString()));
  const serverUrlQuery = validUrl.map((u) => `?serverUrl=${encodeURIComponent(u)}`);

  const H = 'v1/harnesses';
  const C = 'v1/conversations';
  const harness = { kind: 'harness' as const };
  const conversation = { kind: 'conversation' as const };
  const routes: Record<string, () => fc.Arbitrary<FuzzRequest>> = {};
  const add = (name: string, spec: RouteSpec) => (routes[name] = route(name, spec));

  const harnessBadValues = { mcps: fc.array(hostileUrl, { minLength: 1, maxLength: 2 }) };
  add('POST /v1/harnesses', { method: 'POST', path: [H], body: { valid: fc.record(harnessFields, { requiredKeys: ['name', 'model'] }), keys: harnessKeys, badValues: harnessBadValues } });
  add('GET /v1/harnesses', { method: 'GET', path: [H], query: { valid: cursorQuery('GET /v1/harnesses', 200), keys: ['limit', 'cursor'] } });
  add('GET /v1/harnesses/:id', { method: 'GET', path: [H, harness] });
  add('PATCH /v1/harnesses/:id', { method: 'PATCH', path: [H, harness], body: { valid: patchBody, keys: harnessKeys, badValues: harnessBadValues } });
  add('DELETE /v1/harnesses/:id', { method: 'DELETE', path: [H, { kind: 'harness', deletable: true }] });
  add('GET /v1/harnesses/:id/tools', { method: 'GET', path: [H, harness, 'tools'], query: { valid: cursorQuery('GET /v1/harnesses/:id/tools', 500), keys: ['limit', 'cursor'] } });
  add('POST /v1/conversations', {
    method: 'POST',
    path: [C],
    body: { valid: fc.record({ title: oddText(500) }, { requiredKeys: [] }), keys: ['harnessId', 'title'], idField: { key: 'harnessId', kind: 'harness' } },
  });
  add('GET /v1/conversations', { method: 'GET', path: [C], query: { valid: cursorQuery('GET /v1/conversations', 200), keys: ['limit', 'cursor'] } });
  add('GET /v1/conversations/:id', { method: 'GET', path: [C, conversation] });
  add('PATCH /v1/conversations/:id', { method: 'PATCH', path: [C, conversation], body: { valid: fc.record({ title: oddText(500) }), keys: ['title'] } });
  add('DELETE /v1/conversations/:id', { method: 'DELETE', path: [C, { kind: 'conversation', deletable: true }] });
  add('GET /v1/conversations/:id/messages', {
    method: 'GET',
    path: [C, conversation, 'messages'],
    query: { valid: cursorQuery('GET /v1/conversations/:id/messages', 500), keys: ['limit', 'cursor'] },
  });
  add('POST /v1/conversations/:id/messages', {
    method: 'POST',
    path: [C, conversation, 'messages'],
    body: { valid: fc.record({ content: fc.oneof(oddText(2_000), fc.constant('é'.repeat(100_000))), clientMessageId: oddText(200) }, { requiredKeys: ['content'] }), keys: ['content', 'clientMessageId'] },
    headers: { valid: { accept }, hostile: { accept: hostileAccept } },
  });
  add('POST /v1/conversations/:id/interrupt', { method: 'POST', path: [C, conversation, 'interrupt'] });
  add('GET /v1/conversations/:id/queue', { method: 'GET', path: [C, conversation, 'queue'], query: { valid: cursorQuery('GET /v1/conversations/:id/queue', 200), keys: ['limit', 'cursor'] } });
  /** One of mallory's queue items with its own conversation (falling back to independent ids before any was queued). */
  const queuedItem = (...tail: string[]) =>
    fc.tuple(fc.nat(), idOf('conversation', false), idOf('queueItem', false)).map(([n, conv, item]): (string | Pick)[] => {
      const items = [...ctx.queued];
      const [itemId, conversationId] = items.length ? items[n % items.length] : [item.text, conv.text];
      return [C, { text: conversationId, owner: 'mallory' }, 'queue', { text: itemId, owner: 'mallory' }, ...tail];
    });
  add('DELETE /v1/conversations/:id/queue/:itemId', { method: 'DELETE', path: [C, conversation, 'queue', { kind: 'queueItem' }], validPath: queuedItem() });
  add('POST /v1/conversations/:id/queue/:itemId/send-now', { method: 'POST', path: [C, conversation, 'queue', { kind: 'queueItem' }, 'send-now'], validPath: queuedItem('send-now') });
  add('POST /v1/conversations/:id/messages/:messageId/regenerate', { method: 'POST', path: [C, conversation, 'messages', { kind: 'message' }, 'regenerate'] });
  add('GET /v1/conversations/:id/events', {
    method: 'GET',
    path: [C, conversation, 'events'],
    query: { valid: fc.oneof(fc.constant(''), seq.map((n) => `?after=${n}`)), keys: ['after'] },
    headers: { valid: { 'last-event-id': fc.option(seq, { nil: undefined }) }, hostile: { 'last-event-id': hostileSeq, accept: hostileAccept } },
  });
  add('POST /v1/chat', { method: 'POST', path: ['v1/chat'], body: { valid: chatBody, keys: ['id', 'messages', 'trigger', 'messageId'], idField: { key: 'id', kind: 'conversation' } } });
  add('GET /v1/chat/:id/stream', { method: 'GET', path: ['v1/chat', conversation, 'stream'] });
  add('GET /v1/me/settings', { method: 'GET', path: ['v1/me/settings'] });
  add('PUT /v1/me/settings', { method: 'PUT', path: ['v1/me/settings'], body: { valid: fc.record({ displayMode: fc.constantFrom('zen', 'standard', 'developer') }), keys: ['displayMode'] } });
  add('GET /v1/usage', {
    method: 'GET',
    path: ['v1/usage'],
    query: { valid: fc.tuple(fc.option(date), fc.option(date)).map(([from, to]) => `?${from ? `from=${from}&` : ''}${to ? `to=${to}` : ''}`), keys: ['from', 'to'] },
  });
  add('GET /v1/models', { method: 'GET', path: ['v1/models'] });
  add('POST /v1/mcp/oauth/start', {
    method: 'POST',
    path: ['v1/mcp/oauth/start'],
    body: { valid: fc.record({ serverUrl: validUrl }), keys: ['serverUrl'], badValues: { serverUrl: hostileUrl } },
  });
  const serverUrlSpec = { valid: serverUrlQuery, keys: ['serverUrl'] };
  add('GET /v1/mcp/oauth/status', { method: 'GET', path: ['v1/mcp/oauth/status'], query: serverUrlSpec });
  add('DELETE /v1/mcp/oauth/connection', { method: 'DELETE', path: ['v1/mcp/oauth/connection'], query: serverUrlSpec });
  add('GET /v1/mcp/oauth/callback', {
    method: 'GET',
    path: ['v1/mcp/oauth/callback'],
    query: {
      valid: fc.record({ state: fc.base64String({ minLength: 4, maxLength: 60 }), code: fc.option(fc.base64String({ maxLength: 60 })), error: fc.option(oddText(100)) }).map(
        (q) => `?state=${encodeURIComponent(q.state)}${q.code ? `&code=${encodeURIComponent(q.code)}` : ''}${q.error ? `&error=access_denied&error_description=${encodeURIComponent(withoutSurrogates(q.error))}` : ''}`,
      ),
      keys: ['state', 'code', 'iss', 'error', 'error_description'],
    },
    headers: {
      valid: { cookie: fc.option(fc.base64String({ minLength: 4, maxLength: 60 }).map((v) => `harness_oauth_binding=${v}`), { nil: undefined }) },
      hostile: { cookie: fc.oneof(fc.constantFrom('harness_oauth_binding=', 'harness_oauth_binding=a; harness_oauth_binding=b'), headerValue.map((v) => `harness_oauth_binding=${v}`)) },
    },
    isPublic: true,
    html: true,
  });
  add('GET /v1/mcp/oauth/connected', {
    method: 'GET',
    path: ['v1/mcp/oauth/connected'],
    query: {
      valid: fc.record({ serverUrl: fc.constantFrom('http://127.0.0.1:1/mcp', 'https://mcp.example.com/a/b'), nonce: fc.base64String({ minLength: 24, maxLength: 24 }) }).map(
        (q) => `?serverUrl=${encodeURIComponent(q.serverUrl)}&nonce=${encodeURIComponent(q.nonce.replace(/[+/=]/g, 'a'))}`,
      ),
      keys: ['serverUrl', 'nonce'],
    },
    isPublic: true,
    html: true,
  });
  // Admin only: neither fuzzing user is an admin, so what is exercised is the refusal and the input checks before it.
  add('GET /v1/admin/users/:userId/budget', { method: 'GET', path: ['v1/admin/users/budget-target/budget'] });
  add('PUT /v1/admin/users/:userId/budget', {
    method: 'PUT',
    path: ['v1/admin/users/budget-target/budget'],
    body: { valid: fc.record({ monthlyBudgetUsd: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: null }) }), keys: ['monthlyBudgetUsd'] },
  });
  add('DELETE /v1/admin/users/:userId/budget', { method: 'DELETE', path: ['v1/admin/users/budget-target/budget'] });
  add('GET /v1/me', { method: 'GET', path: ['v1/me'] });
  add('GET /v1/auth/providers', { method: 'GET', path: ['v1/auth/providers'], isPublic: true });
  add('POST /auth/logout-all', { method: 'POST', path: ['auth/logout-all'] });
  add('POST /auth/logout', {
    method: 'POST',
    path: ['auth/logout'],
    headers: {
      valid: { cookie: fc.option(fc.base64String({ minLength: 4, maxLength: 60 }).map((v) => `harness_session=${v}`), { nil: undefined }) },
      hostile: { cookie: fc.oneof(fc.constantFrom('harness_session=', 'harness_session=a; harness_session=b'), headerValue.map((v) => `harness_session=${v}`)) },
    },
    isPublic: true,
  });
  add('GET /auth/callback/dev', {
    method: 'GET',
    path: ['auth/callback/dev'],
    query: {
      valid: fc.record({ state: fc.base64String({ minLength: 4, maxLength: 60 }), code: fc.option(fc.base64String({ maxLength: 60 })), error: fc.option(oddText(100)) }).map(
        (q) => `?state=${encodeURIComponent(q.state)}${q.code ? `&code=${encodeURIComponent(q.code)}` : ''}${q.error ? `&error=access_denied&error_description=${encodeURIComponent(withoutSurrogates(q.error))}` : ''}`,
      ),
      keys: ['state', 'code', 'iss', 'error', 'error_description'],
    },
    headers: {
      valid: { cookie: fc.option(fc.base64String({ minLength: 4, maxLength: 60 }).map((v) => `harness_login=${v}`), { nil: undefined }) },
      hostile: { cookie: fc.oneof(fc.constantFrom('harness_login=', 'harness_login=a; harness_login=b'), headerValue.map((v) => `harness_login=${v}`)) },
    },
    isPublic: true,
    html: true,
  });
  for (const path of ['healthz', 'readyz', 'metrics', 'oauth/client-metadata.json']) {
    add(`GET /${path}`, { method: 'GET', path: [path], query: { valid: fc.constant(''), keys: ['x', 'limit'] }, isPublic: true });
  }
  routes['any method on any path'] = () =>
    fc
      .record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE'),
        path: fc.oneof(
          fc.constantFrom('/v1', '/v1/', '/v1/harnesses/', '/v1/me', '/v1/nope', '/healthz/x', '/', '/v1/conversations//messages', '/V1/HARNESSES', '/v1/chat/', '/v1/mcp/oauth'),
          fc.tuple(idOf('harness', true), idOf('conversation', false)).map(([h, c]) => `/v1/harnesses/${h.text}/conversations/${c.text}`),
          idOf('conversation', false).map((c) => `/v1/conversations/${c.text}/events`),
          idOf('conversation', false).map((c) => `/v1/chat/${c.text}/stream`),
        ),
        auth: fc.constantFrom(...ctx.validAuth, ...ctx.hostileAuth),
        body: fc.option(junkValue, { nil: undefined }),
        origin: fc.constantFrom(undefined, 'http://evil.example', 'null'),
        preflight: fc.constantFrom(undefined, 'DELETE', 'POST'),
      })
      .map((x): FuzzRequest => {
        const headers: Record<string, string> = {};
        if (x.auth.value !== undefined) headers.authorization = x.auth.value;
        if (x.origin) headers.origin = x.origin;
        if (x.preflight) headers['access-control-request-method'] = x.preflight;
        if (x.body !== undefined) headers['content-type'] = 'application/json';
        return {
          route: 'any method on any path',
          method: x.method,
          path: x.path,
          headers,
          body: x.body === undefined ? undefined : Buffer.from(JSON.stringify(x.body) ?? 'null'),
          actor: x.auth.actor,
          picks: [],
          hostile: ['auth', 'headers', 'body'],
          isPublic: true,
          html: false,
        };
      });
  return routes;
}
