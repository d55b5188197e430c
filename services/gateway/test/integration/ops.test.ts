import { AuthSubjects, ChatSubjects, McpBrokerSubjects } from '@harness/contracts';
import { readSse } from '@harness/testing';
import { NestStyleResponder } from '../support/chat-responder.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.close();
});

const health = (service: string) => () => ({ service, replicaId: `${service}-1`, status: 'ok' });

describe('operations endpoints', () => {
  it('healthz answers without a token', async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('readyz is 503 naming the chat service while it does not answer, 200 once every service does', async () => {
    const others = new NestStyleResponder(gw.nats).on(McpBrokerSubjects.health, health('mcp-broker')).on(AuthSubjects.health, health('auth'));
    await others.ready();
    try {
      const down = await fetch(`${gw.url}/readyz`);
      expect(down.status).toBe(503);
      const { error } = (await down.json()) as { error: { code: string; details: { checks: Record<string, string>; failing: Record<string, string> } } };
      expect(error.code).toBe('service_unavailable');
      expect(error.details.checks).toMatchObject({ postgres: 'ok', nats: 'ok', redis: 'ok', 'mcp-broker': 'ok', auth: 'ok' });
      expect(Object.keys(error.details.failing)).toEqual(['chat']);

      const chat = new NestStyleResponder(gw.nats).on(ChatSubjects.health, health('chat'));
      await chat.ready();
      try {
        const up = await fetch(`${gw.url}/readyz`);
        expect(up.status).toBe(200);
        expect(await up.json()).toEqual({
          status: 'ready',
          checks: { postgres: 'ok', nats: 'ok', redis: 'ok', chat: 'ok', 'mcp-broker': 'ok', auth: 'ok' },
        });
      } finally {
        chat.stop();
      }
    } finally {
      others.stop();
    }
  });

  it('metrics: Prometheus text with default metrics, request durations by route, SSE gauges and counters', async () => {
    await gw.request('/v1/harnesses', { user: 'alice' });
    const harnessId = (await (await gw.request('/v1/harnesses', { method: 'POST', user: 'alice', json: { name: 'h', model: 'm' } })).json()).id;
    const c = await (await gw.request('/v1/conversations', { method: 'POST', user: 'alice', json: { harnessId } })).json();
    const s = await readSse(`${gw.url}/v1/conversations/${c.id}/events`, { token: await gw.token('alice') });
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/v1\/harnesses",status="200"\} \d+/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/v1\/conversations",status="201"\} \d+/m);
    expect(text).toMatch(/^sse_connections_open 1$/m);
    expect(text).toMatch(/^sse_events_sent_total \d+$/m);
    expect(text).toMatch(/^sse_connections_cut_slow_total \d+$/m);
    s.close();
  });
});
