import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, type Config } from '@harness/config';
import { createDatabase, type Database } from '@harness/db';
import { EventStore } from '@harness/event-store';
import { createTestDatabase, signToken, type TestDatabase } from '@harness/testing';
import { createGatewayApp } from '../../src/app.js';
import type { GatewayOptions } from '../../src/core/tokens.js';
import { startPrivateNats, type PrivateNats } from './nats-server.js';

/** Test code reads many JSON shapes; `any` keeps assertions short (expect() checks them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export interface JsonResponse extends Response {
  json(): Promise<Json>;
}

export interface TestGateway {
  url: string;
  config: Config;
  app: NestExpressApplication;
  /** The test's own connections, for arranging and asserting. */
  db: Database;
  store: EventStore;
  nats: NatsConnection;
  natsUrl: string;
  token(userId: string, ttl?: string | number): Promise<string>;
  /** fetch against the gateway with a user's token (JSON body when `json` is given). */
  request(path: string, init?: RequestInit & { user?: string; json?: unknown }): Promise<JsonResponse>;
  close(): Promise<void>;
}

/**
 * The gateway Nest app in this process on a random port, against a fresh migrated database, real Redis and a private
 * real nats-server. `env` overrides configuration variables (e.g. SSE_HEARTBEAT_MS).
 */
export async function startGateway(env: Record<string, string> = {}, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const database: TestDatabase = await createTestDatabase('gateway');
  let nats: PrivateNats | undefined;
  try {
    nats = await startPrivateNats();
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        NATS_URL: nats.url,
        HARNESS_JWT_SECRET: randomBytes(24).toString('base64url'),
        HARNESS_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        WEB_ORIGIN: 'http://web.test',
        // Redis keys of its own (rate limits, stream slots): parallel test runs on the same Redis never share a budget.
        HARNESS_NATS_NAMESPACE: `gwtest-${randomBytes(4).toString('hex')}`,
        ...env,
      },
      'gateway-test',
    );
    const app = await createGatewayApp(config, { options });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const db = createDatabase(database.url, { applicationName: 'gateway-test' });
    const nc = await connect({ servers: nats.url });
    const tokens = new Map<string, string>();
    const token = async (userId: string, ttl: string | number = '1h') => {
      const key = `${userId}|${ttl}`;
      if (!tokens.has(key)) tokens.set(key, await signToken(config.jwtSecret, userId, ttl));
      return tokens.get(key)!;
    };
    const privateNats = nats;
    return {
      url,
      config,
      app,
      db,
      store: new EventStore(db.pool),
      nats: nc,
      natsUrl: nats.url,
      token,
      async request(path, init = {}) {
        const { user, json, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (user) headers.set('authorization', `Bearer ${await token(user)}`);
        if (json !== undefined) headers.set('content-type', 'application/json');
        return (await fetch(`${url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body })) as JsonResponse;
      },
      async close() {
        await app.close();
        await nc.close();
        await db.close();
        await privateNats.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await nats?.stop();
    await database.drop();
    throw err;
  }
}
