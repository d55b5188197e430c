import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/** How the provider's ID token goes wrong (`good`: it does not). */
export const ROGUE_MODES = ['good', 'wrong-aud', 'wrong-iss', 'wrong-nonce', 'bad-signature', 'expired'] as const;
export type RogueMode = (typeof ROGUE_MODES)[number];

export interface RogueOidc {
  url: string;
  clientId: string;
  clientSecret: string;
  issuerOf(mode: RogueMode): string;
  /** Token requests it answered, by mode (a refused ID token must still have been fetched: the test can tell). */
  tokenRequests: Record<string, number>;
  close(): Promise<void>;
}

interface Grant {
  mode: RogueMode;
  nonce: string;
  challenge: string;
  redirectUri: string;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A real (small) OpenID provider over HTTP that signs everyone in at once and whose ID tokens are wrong on purpose,
 * one issuer per mode (`${url}/${mode}`): discovery, an authorization endpoint that redirects straight back with a
 * code (PKCE S256 and a nonce required), a token endpoint (client_secret_post, single-use codes, the verifier
 * checked) and its JWKS. Everything up to the ID token is correct, so only the ID token checks can refuse it.
 */
export async function startRogueOidc(): Promise<RogueOidc> {
  const kid = 'rogue-key';
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const clientId = 'harness-rogue';
  const clientSecret = randomBytes(16).toString('hex');
  const grants = new Map<string, Grant>();
  const tokenRequests: Record<string, number> = {};
  let url = '';

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const request = new URL(req.url ?? '/', 'http://rogue.invalid');
    const [, mode, ...rest] = request.pathname.split('/');
    const path = `/${rest.join('/')}`;
    if (!ROGUE_MODES.includes(mode as RogueMode)) return json(res, 404, { error: 'not_found' });
    const issuer = `${url}/${mode}`;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'], code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && path === '/jwks') return json(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && path === '/authorize') {
      const q = request.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== clientId || !URL.canParse(redirectUri) || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256'
        || !q.get('code_challenge') || !q.get('nonce') || !q.get('state') || !(q.get('scope') ?? '').split(' ').includes('openid')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('hex');
      grants.set(code, { mode: mode as RogueMode, nonce: q.get('nonce')!, challenge: q.get('code_challenge')!, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (req.method === 'POST' && path === '/token') {
      void readForm(req).then(async (form) => {
        tokenRequests[mode!] = (tokenRequests[mode!] ?? 0) + 1;
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return json(res, 401, { error: 'invalid_client' });
        const grant = grants.get(form.get('code') ?? '');
        grants.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (!grant || grant.mode !== mode || grant.redirectUri !== form.get('redirect_uri')
          || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
          return json(res, 400, { error: 'invalid_grant' });
        }
        const now = Math.floor(Date.now() / 1000);
        const expired = grant.mode === 'expired';
        const idToken = await new SignJWT({ nonce: grant.mode === 'wrong-nonce' ? 'not-the-nonce-that-was-sent' : grant.nonce, name: 'Rogue User', email: 'rogue@example.com', email_verified: true })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer(grant.mode === 'wrong-iss' ? `${url}/someone-else` : issuer)
          .setAudience(grant.mode === 'wrong-aud' ? 'another-client' : clientId)
          .setSubject('rogue-subject-1')
          .setIssuedAt(expired ? now - 1_200 : now)
          .setExpirationTime(expired ? now - 600 : now + 600)
          .sign(grant.mode === 'bad-signature' ? other.privateKey : privateKey);
        return json(res, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 600, id_token: idToken });
      }, () => json(res, 400, { error: 'invalid_request' }));
      return;
    }
    return json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, clientId, clientSecret, tokenRequests,
    issuerOf: (mode) => `${url}/${mode}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
