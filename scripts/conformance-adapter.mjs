#!/usr/bin/env node
// The MCP conformance suite's "client" (see docs/conformance.md). `conformance client --command "<node>
// scripts/conformance-adapter.mjs"` starts a scenario's MCP server (and authorization server) and runs this with the
// server URL as the LAST argument. The MCP client under test is Harness itself: this script only plays a user of the
// public HTTP API, and a browser for the OAuth pages.
//
//   1. creates a harness with the server (authType "oauth" for auth/* scenarios, else "none");
//   2. auth/*: POST /v1/mcp/oauth/start, follows the authorization URL as a browser does (the test authorization
//      server approves at once and redirects to Harness's callback page), then GET /v1/mcp/oauth/status. Like a
//      browser it keeps the gateway's cookies (the harness_oauth_binding cookie start sets) and sends them back,
//      without which the callback refuses the flow;
//   3. lists the harness's tools (GET /v1/harnesses/:id/tools);
//   4. sends a chat message that makes the LLM simulator call one tool, and reads the run's events until it ends;
//      on a `data-mcp-auth` event (step-up) it asks start for the server (as the web app does: that hands out the
//      prompt's authorization bound to this browser), follows it too and sends the message again. A
//      `data-elicitation` event (the server asks the user a question mid-call, pending) is answered as a user
//      accepting the prefilled form: POST /v1/conversations/:id/elicitations/:elicitationId {action: "accept",
//      content: the requested schema's defaults}.
// Exit 0 when a tool call returned output, 1 otherwise (the scenario's checks decide pass or fail).
//
// Environment (set by scripts/conformance.mjs): HARNESS_CONFORMANCE_GATEWAY_URL, HARNESS_CONFORMANCE_TOKEN;
// from the suite: MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (auth/pre-registration and
// auth/client-credentials-basic: client_id, client_secret; auth/client-credentials-jwt: client_id, private_key_pem).
//
// auth/pre-registration: Harness reads pre-registered OAuth clients from deployment configuration
// (HARNESS_OAUTH_CLIENTS, keyed by authorization server issuer), and the scenario's authorization server only exists,
// on a random port, once the scenario runs. So for that scenario this script first acts as the operator: it looks up
// the server's authorization server (its protected resource metadata) and starts a Harness of its own configured with
// the given client (libs/testing's startSystem, as scripts/conformance.mjs does), then acts as the user against it.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createParser } from 'eventsource-parser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
/** auth/client-credentials-*: a service identity, configured on the harness server (no user authorization). */
const isClientCredentials = scenario.startsWith('auth/client-credentials-');
const isAuth = scenario.startsWith('auth/') && !isClientCredentials;
const RUN_TIMEOUT_MS = 20_000;
/** Authorization URLs followed after the first connection (step-up): more than Harness's own cap of 3. */
const MAX_REAUTHORIZATIONS = 4;

const startedAt = Date.now();
const log = (msg) => process.stderr.write(`[adapter ${scenario} +${Date.now() - startedAt}ms] ${msg}\n`);

let gatewayUrl = process.env.HARNESS_CONFORMANCE_GATEWAY_URL;
let token = process.env.HARNESS_CONFORMANCE_TOKEN;
let ownSystem;

/** The browser's cookies for the gateway (name → {value, path}): kept from Set-Cookie, sent back under their Path. */
const cookies = new Map();

function keepCookies(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const attr = (key) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split('=')[1];
    if (attr('max-age') === '0') cookies.delete(pair.slice(0, eq));
    else cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), path: attr('path') ?? '/' });
  }
}

/** The Cookie header for a request to `url` (only the gateway's cookies, only under their Path). */
function cookieHeader(url) {
  const u = new URL(url);
  if (u.origin !== new URL(gatewayUrl).origin) return {};
  const sent = [...cookies].filter(([, c]) => u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`));
  return sent.length ? { cookie: sent.map(([name, c]) => `${name}=${c.value}`).join('; ') } : {};
}

async function api(method, path, body) {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...cookieHeader(`${gatewayUrl}${path}`),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  keepCookies(res);
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

async function must(method, path, body, expected) {
  const r = await api(method, path, body);
  if (r.status !== expected) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body;
}

/** A browser opening `url`: follows redirects (as the user's browser would) and returns the final page. */
async function browse(url) {
  let current = new URL(url);
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(current, { redirect: 'manual', headers: cookieHeader(current), signal: AbortSignal.timeout(15_000) });
    keepCookies(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current);
      log(`browser: ${res.status} → ${current.origin}${current.pathname}`);
      continue;
    }
    const text = await res.text();
    log(`browser: ${res.status} at ${current.origin}${current.pathname}`);
    return { url: current.href, status: res.status, text };
  }
  throw new Error(`browser: too many redirects from ${url}`);
}

/** Follows an authorization URL to Harness's callback page and checks that the page says it worked. */
async function authorize(authorizationUrl) {
  const page = await browse(authorizationUrl);
  if (!page.url.startsWith(`${gatewayUrl}/`)) throw new Error(`authorization ended at ${page.url} (${page.status}), not at Harness's callback`);
  if (page.status !== 200) throw new Error(`callback page: ${page.status} ${page.text.slice(0, 300)}`);
}

async function connectOAuth() {
  const started = await must('POST', '/v1/mcp/oauth/start', { serverUrl }, 200);
  // Cross-App Access (an enterprise IdP session) connects at once: no authorization URL to follow.
  if (started.status === 'connected') log('connected at once (Cross-App Access)');
  else {
    log('authorization URL received');
    await authorize(started.authorizationUrl);
  }
  const status = await must('GET', `/v1/mcp/oauth/status?serverUrl=${encodeURIComponent(serverUrl)}`, undefined, 200);
  log(`oauth status: ${JSON.stringify(status)}`);
  if (status.status !== 'connected') throw new Error(`oauth status is ${status.status}, not connected`);
}

/** The conversation's events from `after`, as parsed chunks, until a terminal chunk (finish, abort, error). */
async function readRun(conversationId, after, send) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`the run did not end within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  try {
    const res = await fetch(`${gatewayUrl}/v1/conversations/${conversationId}/events?after=${after}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
    await send();
    const chunks = [];
    const answers = [];
    let lastSeq = after;
    let done = false;
    const parser = createParser({
      onEvent(event) {
        if (done || !event.data) return;
        const chunk = JSON.parse(event.data);
        if (event.id !== undefined) lastSeq = Number(event.id);
        chunks.push(chunk);
        if (chunk.type === 'data-elicitation' && chunk.data?.status === 'pending') answers.push(acceptPrefilled(conversationId, chunk.data).then(() => null, (err) => err));
        if (['finish', 'abort', 'error'].includes(chunk.type)) done = true;
      },
    });
    const decoder = new TextDecoder();
    for await (const bytes of res.body) {
      parser.feed(decoder.decode(bytes, { stream: true }));
      if (done) break;
    }
    controller.abort();
    if (!done) throw new Error('the event stream ended before the run did');
    const failed = (await Promise.all(answers)).find((err) => err !== null);
    if (failed) throw failed;
    return { chunks, lastSeq };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A user answering an MCP server's question (`data-elicitation`) by accepting the form as the web app prefills it:
 * every field that has a default, with that default.
 */
async function acceptPrefilled(conversationId, elicitation) {
  const properties = elicitation.requestedSchema?.properties ?? {};
  const content = Object.fromEntries(Object.entries(properties).filter(([, p]) => p?.default !== undefined).map(([name, p]) => [name, p.default]));
  log(`${elicitation.serverName} asks "${elicitation.message}": accepting the prefilled form ${JSON.stringify(content)}`);
  await must('POST', `/v1/conversations/${conversationId}/elicitations/${elicitation.elicitationId}`, { action: 'accept', content }, 202);
}

/** Arguments for a tool from its input schema: the scenario's numbers for add_numbers, else simple values. */
function argumentsFor(tool) {
  if (tool.originalName === 'add_numbers') return { a: 2, b: 3 };
  const properties = tool.inputSchema?.properties ?? {};
  const args = {};
  for (const name of tool.inputSchema?.required ?? []) {
    const type = properties[name]?.type;
    args[name] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : type === 'object' ? {} : type === 'array' ? [] : 'x';
  }
  return args;
}

/** Looks up the server's authorization server as an operator would (its protected resource metadata). */
async function authorizationServerOf(url) {
  const probe = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await probe.body?.cancel();
  const challenge = probe.headers.get('www-authenticate') ?? '';
  const u = new URL(url);
  const candidates = [
    /resource_metadata="([^"]+)"/.exec(challenge)?.[1],
    `${u.origin}/.well-known/oauth-protected-resource${u.pathname === '/' ? '' : u.pathname}`,
    `${u.origin}/.well-known/oauth-protected-resource`,
  ].filter(Boolean);
  for (const candidate of candidates) {
    const res = await fetch(candidate);
    if (res.ok) {
      const prm = await res.json();
      if (prm.authorization_servers?.[0]) return prm.authorization_servers[0];
    }
  }
  throw new Error(`no protected resource metadata for ${url}`);
}

/** auth/pre-registration: a Harness deployed with the scenario's pre-registered client (see the header). */
async function startPreRegisteredSystem() {
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
  if (!context.client_id) throw new Error('MCP_CONFORMANCE_CONTEXT has no client_id');
  const issuer = await authorizationServerOf(serverUrl);
  log(`operator: starting a Harness with the pre-registered client for ${issuer}`);
  const { startSystem } = await import(pathToFileURL(join(root, 'libs/testing/dist/index.js')).href);
  const clients = [{ issuer, servers: [serverUrl], clientId: context.client_id, clientSecret: context.client_secret }];
  ownSystem = await startSystem({
    label: 'conformance-prereg',
    readyTimeoutMs: 20_000,
    env: {
      HARNESS_OAUTH_CLIENTS: JSON.stringify(clients),
      HARNESS_MCP_SESSION_IDLE_TTL_MS: '1000',
      ...(process.env.HARNESS_CONFORMANCE_CIMD_URL ? { HARNESS_OAUTH_CLIENT_METADATA_URL: process.env.HARNESS_CONFORMANCE_CIMD_URL } : {}),
    },
  });
  gatewayUrl = ownSystem.gatewayUrl;
  token = await ownSystem.token('conformance-user');
}

/**
 * The harness's server as a user configures it: a service identity for the client credentials scenarios (the
 * scenario's client id and its secret or private key, from MCP_CONFORMANCE_CONTEXT), OAuth for the other auth/*
 * scenarios, none otherwise.
 */
function serverConfig() {
  const base = { name: 'conformance', url: serverUrl };
  if (!isClientCredentials) return { ...base, authType: isAuth ? 'oauth' : 'none' };
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
  if (!context.client_id) throw new Error('MCP_CONFORMANCE_CONTEXT has no client_id');
  const credential = context.private_key_pem ? { privateKeyPem: context.private_key_pem } : { clientSecret: context.client_secret };
  return { ...base, authType: 'client_credentials', clientId: context.client_id, ...credential };
}

async function main() {
  if (!serverUrl || !/^https?:\/\//.test(serverUrl)) throw new Error(`usage: conformance-adapter.mjs <server URL> (got ${serverUrl})`);
  if (scenario === 'auth/pre-registration') await startPreRegisteredSystem();
  if (!gatewayUrl || !token) throw new Error('HARNESS_CONFORMANCE_GATEWAY_URL and HARNESS_CONFORMANCE_TOKEN are required');

  const harness = await must('POST', '/v1/harnesses', {
    name: `conformance ${scenario}`.slice(0, 100),
    model: 'sim/echo',
    systemPrompt: 'Call the tool you are asked to call.',
    mcpServers: [serverConfig()],
  }, 201);

  if (isAuth) await connectOAuth();

  const tools = await must('GET', `/v1/harnesses/${harness.id}/tools`, undefined, 200);
  log(`tools: ${JSON.stringify(tools.items.map((t) => t.name))}; errors: ${JSON.stringify(tools.errors)}`);
  // The auth scenarios' servers all serve `test-tool`; a server that refuses the listing (auth/scope-retry-limit)
  // still gets a run, where Harness's own listing and call meet the refusal.
  const tool = tools.items[0] ?? (isAuth || isClientCredentials ? { name: 'test-tool', originalName: 'test-tool', inputSchema: { type: 'object' } } : undefined);
  if (!tool) {
    // The initialize scenario's server has no tools: listing them was the whole exchange.
    log('no tool to call');
    return tools.errors.length === 0;
  }

  const conversation = await must('POST', '/v1/conversations', { harnessId: harness.id, title: scenario }, 201);
  const content = `Please call ${tool.name}.\n@sim ${JSON.stringify({ toolCalls: [{ name: tool.name, arguments: argumentsFor(tool) }] })}`;
  let after = 0;
  for (let attempt = 0; attempt <= MAX_REAUTHORIZATIONS; attempt++) {
    const { chunks, lastSeq } = await readRun(conversation.id, after, () => must('POST', `/v1/conversations/${conversation.id}/messages`, { content }, 202));
    after = lastSeq;
    const outputs = chunks.filter((c) => c.type === 'tool-output-available');
    const errors = chunks.filter((c) => c.type === 'tool-output-error');
    const authPrompts = chunks.filter((c) => c.type === 'data-mcp-auth' && c.data?.authorizationUrl);
    log(`run ${attempt + 1}: ${outputs.length} output(s), ${errors.length} error(s), ${authPrompts.length} authorization prompt(s); ended with ${chunks.at(-1)?.type}`);
    for (const e of errors) log(`tool error: ${e.errorText}`);
    if (outputs.length) {
      log(`tool output: ${JSON.stringify(outputs[0].output).slice(0, 300)}`);
      return true;
    }
    if (!authPrompts.length) return false;
    if (attempt === MAX_REAUTHORIZATIONS) {
      log(`giving up after ${MAX_REAUTHORIZATIONS} re-authorizations`);
      return false;
    }
    // As the web app does with a prompt: start from this browser hands out the prompt's authorization, bound to it.
    const prompt = authPrompts.at(-1).data.authorizationUrl;
    const started = await must('POST', '/v1/mcp/oauth/start', { serverUrl }, 200);
    if (started.status === 'connected') log('step-up connected at once (Cross-App Access)');
    else {
      log(`following the run's authorization prompt (step-up)${started.authorizationUrl === prompt ? '' : ' (start handed out another authorization)'}`);
      await authorize(started.authorizationUrl);
    }
  }
  return false;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  log(`ERROR: ${err?.stack ?? err}`);
} finally {
  await ownSystem?.stop().catch((err) => log(`stopping the pre-registration system: ${err}`));
}
// scripts/conformance.mjs reads this line when the suite cannot report (see there).
log(`exit ${ok ? 0 : 1}`);
process.exit(ok ? 0 : 1);
