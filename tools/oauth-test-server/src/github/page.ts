const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * No script. Browsers apply `form-action` to the redirects after a form post too, so the consent page names the
 * origin its decision redirects to.
 */
export function pageCsp(formTarget?: string): string {
  const target = formTarget ? ` ${new URL(formTarget).origin}` : '';
  return `default-src 'none'; form-action 'self'${target}; base-uri 'none'; frame-ancestors 'none'`;
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface AuthorizePageInput {
  appName: string;
  login: string;
  scopes: readonly string[];
  /** The pending authorization the buttons decide. */
  authorizationId: string;
  action: string;
}

/** GitHub's consent screen, reduced to what a test clicks: "Authorize <app>" or "Cancel". */
export function authorizePage(input: AuthorizePageInput): string {
  const scopes = input.scopes.length
    ? `<ul>${input.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`
    : '<p>Public information only (no scopes).</p>';
  return page(
    `Authorize ${input.appName}`,
    `<h1>Authorize ${escapeHtml(input.appName)}</h1>
<p>Signed in as <strong>${escapeHtml(input.login)}</strong>. ${escapeHtml(input.appName)} asks for:</p>
${scopes}
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="authorization_id" value="${escapeHtml(input.authorizationId)}">
<button type="submit" name="decision" value="approve">Authorize ${escapeHtml(input.appName)}</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`,
  );
}

export function notFoundPage(): string {
  return page('Page not found', '<h1>404</h1><p>This is not the web page you are looking for.</p>');
}
