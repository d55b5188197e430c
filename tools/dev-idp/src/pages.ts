import { createHash } from 'node:crypto';
import { USERNAME_RULE } from './identity.js';

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}',
  '.notice{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .75rem}',
  '.error{color:#a40000}',
  'label,input,button{display:block;margin:.5rem 0;font-size:1rem}',
].join('');
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * No script at all; the one inline style is allowed by its hash. `form-action` names this origin and the clients'
 * redirect origins, because browsers apply it to the redirects that follow the form post.
 */
export function contentSecurityPolicy(formTargets: readonly string[]): string {
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    `form-action 'self' ${formTargets.join(' ')}`.trim(),
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The CSP sources a form post may end at: the origin of an http(s) redirect URI, or the scheme of any other. */
export function formTargetsOf(redirectUris: readonly string[]): string[] {
  const targets = new Set<string>();
  for (const uri of redirectUris) {
    const url = new URL(uri);
    targets.add(url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol);
  }
  return [...targets];
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="notice" role="note"><strong>Development only — no password.</strong> Harness's built-in sign-in for local use; never used in production.</p>
${body}
</main>
</body>
</html>
`;
}

export interface SignInPageInput {
  /** Where the form posts: the interaction's own URL, bound to its uid. */
  action: string;
  clientId: string;
  username?: string;
  error?: string;
}

export function signInPage(input: SignInPageInput): string {
  const error = input.error ? `<p class="error" id="username-error" role="alert">${escapeHtml(input.error)}</p>\n` : '';
  const describedBy = input.error ? ' aria-describedby="username-error" aria-invalid="true"' : '';
  return page(
    'Sign in — Harness dev IdP',
    `<h1>Sign in</h1>
<p>to <code>${escapeHtml(input.clientId)}</code>. Any username is accepted: ${escapeHtml(USERNAME_RULE)}.</p>
${error}<form method="post" action="${escapeHtml(input.action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" required maxlength="64" pattern="[A-Za-z0-9._\\-]{1,64}" autocomplete="username" autofocus value="${escapeHtml(input.username ?? '')}"${describedBy}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
