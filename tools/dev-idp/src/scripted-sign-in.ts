import { createHash, randomBytes } from 'node:crypto';

export interface ScriptedSignIn {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** One of the client's registered redirect URIs: the flow stops when the IdP redirects there (nothing is fetched from it). */
  redirectUri: string;
  /** How the client authenticates at the token endpoint (as registered at the dev IdP). Default client_secret_post. */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  username: string;
}

/**
 * For tests: the authorization code flow of one person at the dev IdP over HTTP, as a browser and a relying party do
 * it (discovery, /auth with PKCE and nonce, the sign-in page's form posted with the username, the redirects followed
 * with the interaction cookies, the code redeemed). Returns the ID token the IdP issued (the caller verifies it, as
 * the gateway does, when that matters).
 */
export async function signInOverHttp(o: ScriptedSignIn): Promise<{ idToken: string; nonce: string }> {
  const discovery = (await (await fetch(`${o.issuer}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
  const cookies = new Map<string, string>();
  const request = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([n, v]) => `${n}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  };
  /** Follows redirects until an answer that is not one, or until the redirect URI (returned, not fetched). */
  const follow = async (res: Response, from: string): Promise<{ res: Response; url: string }> => {
    let url = from;
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error('signInOverHttp: too many redirects');
      url = new URL(res.headers.get('location')!, url).toString();
      if (url.startsWith(o.redirectUri)) return { res, url };
      res = await request(url);
    }
    return { res, url };
  };

  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const authUrl = `${discovery.authorization_endpoint}?${new URLSearchParams({
    client_id: o.clientId, redirect_uri: o.redirectUri, response_type: 'code', scope: 'openid profile email', state, nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', prompt: 'login',
  })}`;
  const page = await follow(await request(authUrl), authUrl);
  const html = await page.res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (page.res.status !== 200 || !action) throw new Error(`signInOverHttp: no sign-in page (${page.res.status})`);
  const actionUrl = new URL(action.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))).replace(/&amp;/g, '&'), page.url).toString();
  const posted = await request(actionUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: o.username }).toString(),
  });
  const back = new URL((await follow(posted, actionUrl)).url);
  const code = back.searchParams.get('code');
  if (!code || back.searchParams.get('state') !== state) throw new Error(`signInOverHttp: no code (${back.searchParams.get('error') ?? 'state mismatch'})`);

  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: o.redirectUri, code_verifier: verifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (o.tokenEndpointAuthMethod === 'client_secret_basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', o.clientId);
    body.set('client_secret', o.clientSecret);
  }
  const res = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: body.toString() });
  const tokens = (await res.json()) as { id_token?: string };
  if (res.status !== 200 || !tokens.id_token) throw new Error(`signInOverHttp: token endpoint answered ${res.status}`);
  return { idToken: tokens.id_token, nonce };
}
