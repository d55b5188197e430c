import { runInNewContext } from 'node:vm';
import { escapeHtml, renderCallbackPage, scriptJson } from '../../src/mcp-oauth/callback-page.js';

const ORIGIN = 'https://app.example.test';

function run(html: string) {
  const posted: [unknown, string][] = [];
  let closed = false;
  for (const [, code] of html.matchAll(/<script nonce="[^"]+">([\s\S]*?)<\/script>/g)) {
    runInNewContext(code!, { window: { opener: { postMessage: (m: unknown, t: string) => posted.push([m, t]) }, close: () => (closed = true) } });
  }
  return { posted, closed };
}

describe('MCP OAuth callback page', () => {
  it('escapes HTML and embeds JSON safely in the script', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const json = scriptJson({ m: '</script><!-- & \u2028\u2029' });
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ m: '</script><!-- & \u2028\u2029' });
  });

  it('posts the outcome with the flow nonce to the web origin only, then closes', () => {
    const message = '</script><script>alert(1)</script>';
    const page = renderCallbackPage({ status: 'error', serverUrl: 'https://mcp.example/mcp?a=<b>', message, nonce: 'n1' }, ORIGIN);
    expect(page.body.match(/<script/g)).toHaveLength(1);
    expect(page.body).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('https://mcp.example/mcp?a=&lt;b&gt;');
    expect(run(page.body)).toEqual({
      posted: [[{ type: 'harness:mcp-oauth', status: 'error', serverUrl: 'https://mcp.example/mcp?a=<b>', message, nonce: 'n1' }, ORIGIN]],
      closed: true,
    });
  });

  it('has a strict CSP whose script nonce is fresh per page, and the other headers', () => {
    const a = renderCallbackPage({ status: 'connected', serverUrl: 'https://m/mcp', nonce: 'n' }, ORIGIN);
    const b = renderCallbackPage({ status: 'connected', serverUrl: 'https://m/mcp', nonce: 'n' }, ORIGIN);
    const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)![1];
    const csp = a.headers['content-security-policy']!;
    expect(csp).toBe(`default-src 'none'; script-src 'nonce-${nonceOf(csp)}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(a.body).toContain(`<script nonce="${nonceOf(csp)}">`);
    expect(nonceOf(b.headers['content-security-policy']!)).not.toBe(nonceOf(csp));
    expect(a.headers).toMatchObject({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' });
    expect(a.headers['cross-origin-opener-policy']).toBeUndefined();
  });

  it('posts nothing without the flow nonce (the auth service refused the callback)', () => {
    const page = renderCallbackPage({ status: 'error', message: 'unknown state <x>' }, ORIGIN);
    expect(page.body).not.toContain('<script');
    expect(page.body).toContain('unknown state &lt;x&gt;');
  });
});
