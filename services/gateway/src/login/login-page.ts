import { escapeHtml } from '../mcp-oauth/callback-page.js';
import type { HttpResponse } from '../http/types.js';

/**
 * The page a failed sign-in lands on: what went wrong in words (every string HTML-escaped), a link to try again, no
 * script, no stack trace. Status 400 (the request or the provider's answer was refused) or 502 (the provider failed).
 */
export function sendLoginErrorPage(res: HttpResponse, status: number, message: string, retryPath = '/'): void {
  const body = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Sign-in failed · Harness</title>',
    '</head>',
    '<body>',
    '<main>',
    '<h1>Sign-in failed</h1>',
    `<p id="message" role="alert">${escapeHtml(message)}</p>`,
    `<p><a href="${escapeHtml(retryPath)}">Back to Harness</a></p>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.setHeader('cache-control', 'no-store');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  res.end(body);
}
