import { getFreePort } from '@harness/testing';
import { startGateway, type TestGateway } from '../support/gateway.js';

// /metrics is not for anyone who reaches the API: a token (HARNESS_METRICS_TOKEN) and/or a port of its own
// (HARNESS_METRICS_PORT, then the API port has no /metrics).

const TOKEN = 'metrics-token-0123456789abcdef';

describe('metrics access', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('with HARNESS_METRICS_TOKEN: 401 without it or with another, 200 with it', async () => {
    gw = await startGateway({ HARNESS_METRICS_TOKEN: TOKEN });
    const none = await fetch(`${gw.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('sse_connections_open');
  });

  it('with HARNESS_METRICS_PORT: served there only (with its token), 404 on the API port', async () => {
    const port = await getFreePort();
    gw = await startGateway({ HARNESS_METRICS_PORT: String(port), HARNESS_METRICS_HOST: '127.0.0.1', HARNESS_METRICS_TOKEN: TOKEN });
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${port}`;
    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(401);
    const ok = await fetch(`${metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('http_request_duration_seconds');
    expect((await fetch(`${metricsUrl}/v1/harnesses`)).status).toBe(404);
  });
});
