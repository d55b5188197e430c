// An internal service holding an access token of the company IdP calls Harness with it (HARNESS_JWT_JWKS_URL): the
// token is verified by the IdP's JWKS, and with HARNESS_JWT_LOGIN_PROVIDER its subject is the identity a person signed
// in with, so the service acts as that person's Harness user (the same id the browser has). HS256 JWTs keep working.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { subjectFor } from '@harness/dev-idp';
import { startSystem, type System } from '@harness/testing';
import { Client } from './support/client.js';
import { Browser, signInWithDevIdp } from './support/sign-in.js';

const ISSUER = 'https://idp.corp.test';
const AUDIENCE = 'harness-internal';

let system: System;
let jwks: Server;
let key: KeyLike;

const accessToken = (sub: string, aud = AUDIENCE) =>
  new SignJWT({ scope: 'harness' }).setProtectedHeader({ alg: 'ES256', kid: 'corp-1' }).setIssuer(ISSUER).setAudience(aud).setSubject(sub)
    .setIssuedAt().setExpirationTime('5m').sign(key);

const call = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${system.gatewayUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'corp-1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  system = await startSystem({
    label: 'external-jwt',
    env: {
      HARNESS_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      HARNESS_JWT_ISSUER: ISSUER,
      HARNESS_JWT_AUDIENCE: AUDIENCE,
      // The company IdP is the login provider people sign in with (here the dev IdP stands for it).
      HARNESS_JWT_LOGIN_PROVIDER: 'dev',
    },
  });
}, 90_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => jwks.close(resolve));
});

describe('an external IdP\'s access tokens', () => {
  it('act as the Harness user of the identity they name: what the service creates, the person sees', async () => {
    const browser = new Browser();
    expect((await signInWithDevIdp(browser, system.gatewayUrl, 'erin')).callback.status).toBe(302);
    const person = (await (await browser.request(`${system.gatewayUrl}/v1/me`)).json()) as { id: string };
    expect(person.id).toMatch(/^u_/);

    const token = await accessToken(subjectFor('erin'));
    const me = await call(token, '/v1/me');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(person.id);

    const created = await call(token, '/v1/harnesses', { method: 'POST', body: JSON.stringify({ name: 'made by a service', model: 'sim', systemPrompt: '' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const seen = (await (await browser.request(`${system.gatewayUrl}/v1/harnesses`)).json()) as { items: { id: string }[] };
    expect(seen.items.map((h) => h.id)).toContain(id);
    // Another user does not see it.
    const alice = await Client.as(system, 'alice');
    expect(((await alice.call('GET', '/v1/harnesses')).body.items as { id: string }[]).map((h) => h.id)).not.toContain(id);
  });

  it('an identity that never signed in has no user yet: 401 saying so', async () => {
    const res = await call(await accessToken(subjectFor('never-signed-in')), '/v1/me');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/sign in to Harness once through "dev"/);
  });

  it('a token for another audience is refused; HS256 JWTs of HARNESS_JWT_SECRET still work', async () => {
    expect((await call(await accessToken(subjectFor('erin'), 'another-api'), '/v1/me')).status).toBe(401);
    const bob = await Client.as(system, 'bob');
    const me = await bob.call('GET', '/v1/me');
    expect({ status: me.status, id: me.body.id }).toEqual({ status: 200, id: 'bob' });
  });
});
