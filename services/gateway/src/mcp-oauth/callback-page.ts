import { randomBytes } from 'node:crypto';

/** What the callback page tells the user and, through `postMessage`, the window that opened it. */
export interface CallbackOutcome {
  status: 'connected' | 'error';
  serverUrl?: string;
  message?: string;
  /** The flow's nonce (from `start`): the opener accepts only a message carrying it. Without it nothing is posted. */
  nonce?: string;
}

/** The `type` of the message posted to the opener. */
export const CALLBACK_MESSAGE_TYPE = 'harness:mcp-oauth';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attributes. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * A JSON literal safe inside an inline `<script>`: no `</script>` or `<!--` can end or confuse the element (`<`, `>`
 * and `&` are escaped as `\u003c`…), and U+2028/U+2029 (line terminators in older JavaScript) are escaped too.
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value ?? null)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export interface CallbackPage {
  headers: Record<string, string>;
  body: string;
}

/**
 * The page the authorization server's redirect lands on. Every string is HTML-escaped; the only script is inline,
 * allowed by a per-response CSP nonce, and posts `{type, status, serverUrl, message, nonce}` to `webOrigin` exactly
 * (never `'*'`), then closes the window.
 */
export function renderCallbackPage(outcome: CallbackOutcome, webOrigin: string): CallbackPage {
  const cspNonce = randomBytes(18).toString('base64');
  const connected = outcome.status === 'connected';
  const heading = connected ? 'Account connected' : 'Could not connect your account';
  const message = outcome.message ?? (connected ? 'Harness can now use this MCP server on your behalf.' : 'The authorization did not complete.');
  const lines = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(heading)} · Harness</title>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(heading)}</h1>`,
    `<p id="message">${escapeHtml(message)}</p>`,
    ...(outcome.serverUrl ? [`<p>MCP server: <code>${escapeHtml(outcome.serverUrl)}</code></p>`] : []),
    '<p>You can close this window.</p>',
    '</main>',
  ];
  if (outcome.nonce) {
    const payload = {
      type: CALLBACK_MESSAGE_TYPE,
      status: outcome.status,
      serverUrl: outcome.serverUrl ?? null,
      message: outcome.message ?? null,
      nonce: outcome.nonce,
    };
    lines.push(
      `<script nonce="${cspNonce}">`,
      `window.opener?.postMessage(${scriptJson(payload)}, ${scriptJson(webOrigin)});`,
      'window.close();',
      '</script>',
    );
  }
  lines.push('</body>', '</html>', '');
  return {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${cspNonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    },
    body: lines.join('\n'),
  };
}
