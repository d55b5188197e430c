import { startDevIdp, type DevIdpClient } from './server.js';

/** The client `npm start` of Harness will register: the gateway on its default port. */
const DEFAULT_CLIENTS: DevIdpClient[] = [
  { clientId: 'harness-dev', clientSecret: 'harness-dev-secret', redirectUris: ['http://127.0.0.1:3000/auth/callback/dev', 'http://localhost:3000/auth/callback/dev'] },
];

function fail(msg: string, extra: Record<string, unknown> = {}): never {
  console.error(JSON.stringify({ msg, ...extra }));
  process.exit(1);
}

function parseClients(raw: string | undefined): DevIdpClient[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_CLIENTS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('DEV_IDP_CLIENTS is not JSON');
  }
  const ok = Array.isArray(parsed) && parsed.length > 0 && parsed.every((c: unknown) => {
    const o = c as Record<string, unknown> | null;
    return typeof o === 'object' && o !== null && typeof o.clientId === 'string' && o.clientId.length > 0
      && (o.clientSecret === undefined || typeof o.clientSecret === 'string')
      && Array.isArray(o.redirectUris) && o.redirectUris.length > 0 && o.redirectUris.every((u) => typeof u === 'string' && URL.canParse(u));
  });
  if (!ok) fail('DEV_IDP_CLIENTS must be a non-empty JSON array of {clientId, clientSecret?, redirectUris: [absolute URLs]}');
  return parsed as DevIdpClient[];
}

/** CLI: `node dist/main.js` (env DEV_IDP_PORT, default 4020; DEV_IDP_HOST, default 127.0.0.1; DEV_IDP_CLIENTS, JSON). */
async function main(): Promise<void> {
  const rawPort = process.env.DEV_IDP_PORT ?? '4020';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('invalid DEV_IDP_PORT', { value: rawPort });
  const host = process.env.DEV_IDP_HOST ?? '127.0.0.1';
  const clients = parseClients(process.env.DEV_IDP_CLIENTS);
  const idp = await startDevIdp({ port, host, clients });
  console.log(JSON.stringify({ msg: 'dev idp listening (development only)', issuer: idp.issuer, url: idp.url, clients: clients.map((c) => c.clientId) }));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    idp.close().then(
      () => {
        console.log(JSON.stringify({ msg: 'dev idp stopped', signal }));
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => fail('dev idp failed to start', { error: (e as Error)?.message ?? String(e) }));
