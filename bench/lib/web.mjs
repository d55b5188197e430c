// What bench/web.mjs and scripts/screenshots.mjs share: the in-repo MCP test server, signing in through the app and
// the dev IdP the way a person does, the API as that person, and waiting for a run to end.
import { startMcpTestServer } from '@harness/mcp-test-server';
import { signInWithDev } from '@harness/testing';

/** The MCP test server (tools/mcp-test-server, built) in this process on 127.0.0.1; `close()` stops it. */
export const startMcpServer = () => startMcpTestServer({ port: 0, host: '127.0.0.1' });

/**
 * Opens the app signed out, clicks "Sign in with Dev", fills "Username" on the dev IdP's page, clicks "Sign in" and
 * waits until the app is back on the gateway's origin; returns the signed-in person from `GET /v1/me`.
 */
export async function signInAsPerson(page, gatewayUrl, username) {
  await page.goto(`${new URL(gatewayUrl).origin}/`);
  await signInWithDev(page, gatewayUrl, username);
  const me = await page.evaluate(async () => {
    const res = await fetch('/v1/me', { headers: { 'x-harness-client': 'web' } });
    return res.ok ? res.json() : { error: res.status };
  });
  if (!me?.id) throw new Error(`GET /v1/me after signing in answered ${JSON.stringify(me)}`);
  return me;
}

/** The API as one user (Bearer token): `call(method, path, body)` → parsed JSON, throws on HTTP ≥ 300. */
export function apiAs(gatewayUrl, token) {
  return async function call(method, path, body, { signal, accept } = {}) {
    const res = await fetch(gatewayUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(accept ? { accept } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ?? AbortSignal.timeout(60_000),
    });
    if (accept === 'text/event-stream') {
      if (res.status !== 200) throw new Error(`${method} ${path} → HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return res;
    }
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
}

/** `text` plus the LLM simulator's scenario line (tools/llm-simulator: the line is read from the last user message). */
export const withScenario = (text, scenario) => `${text}\n@sim ${JSON.stringify(scenario)}`;

/**
 * Sends a message with `Accept: text/event-stream` and reads the run's stream to its end (the answer ends after the
 * run's finish, abort or error); returns the terminal chunk's type.
 */
export async function sendAndFinish(call, conversationId, content, timeoutMs = 60_000) {
  const res = await call('POST', `/v1/conversations/${conversationId}/messages`, { content }, {
    accept: 'text/event-stream',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const decoder = new TextDecoder();
  let tail = '';
  let terminal = null;
  for await (const bytes of res.body) {
    tail = (tail + decoder.decode(bytes, { stream: true })).slice(-4_000);
    const m = /"type":"(finish|abort|error)"/.exec(tail);
    if (m) terminal = m[1];
  }
  if (!terminal) throw new Error(`the run of a message in ${conversationId} ended without finish, abort or error`);
  return terminal;
}

/** Polls `GET /v1/conversations/:id` (every 50 ms, up to timeoutMs) until a run is active; returns its id, or null. */
export async function waitForRunStart(call, conversationId, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const conv = await call('GET', `/v1/conversations/${conversationId}`);
    if (conv.activeRunId) return conv.activeRunId;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

/** Polls `GET /v1/conversations/:id` until no run is active (every 100 ms, up to timeoutMs). */
export async function waitForIdleConversation(call, conversationId, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const conv = await call('GET', `/v1/conversations/${conversationId}`);
    if (!conv.activeRunId && !(conv.queue?.length > 0)) return;
    if (Date.now() > until) throw new Error(`conversation ${conversationId} still has a run after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
