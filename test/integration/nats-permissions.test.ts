import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  AuthSubjects, ChatSubjects, conversationEventsSubject, McpBrokerSubjects, natsInboxPrefix, ownerSubject, setSubjectNamespace, type NatsService,
} from '@harness/contracts';
import { startNatsServer, waitFor, type NatsIdentity, type NatsServerHandle } from '@harness/testing';

/**
 * The internal network's permissions, on a real nats-server running the generated configuration (libs/contracts
 * nats-access.ts): each service's credentials allow only what that service does. Every refusal is paired with the
 * same action by the service that is allowed, seen arriving, so each assertion can fail.
 *
 * "Not delivered" is decided without sleeping: the publisher then sends a marker on a subject it may use, and NATS
 * delivers one connection's messages in order, so once the observer (the test user, subscribed to the whole
 * namespace) has the marker it would already have the refused message.
 */
const ns = `t-perm-${randomBytes(3).toString('hex')}`;
setSubjectNamespace(ns);

let server: NatsServerHandle;
const open: NatsConnection[] = [];
let observer: NatsConnection;
const seen: { subject: string; data: string }[] = [];

const as = async (who: NatsIdentity): Promise<NatsConnection> => {
  const nc = await connect({ ...server.connectOptions(who), name: `perm-${who}` });
  open.push(nc);
  return nc;
};

/** A subject each service may publish to (and the observer reads): sent after the action under test. */
const MARKER: Record<Exclude<NatsService, 'auth'>, () => string> = {
  gateway: () => ChatSubjects.health,
  chat: () => conversationEventsSubject('marker'),
  'mcp-broker': () => AuthSubjects.start,
};

/** Publishes as `who`, then waits for its marker at the observer; returns whether the observer got the message. */
async function delivered(who: Exclude<NatsService, 'auth'>, nc: NatsConnection, subject: string): Promise<boolean> {
  const data = `probe-${randomUUID()}`;
  const marker = `marker-${randomUUID()}`;
  nc.publish(subject, data);
  nc.publish(MARKER[who](), marker);
  await waitFor(() => seen.some((m) => m.data === marker), { intervalMs: 5, description: `${who}'s marker at the observer` });
  return seen.some((m) => m.data === data && m.subject === subject);
}

/** The auth service answers only: its marker is the answer to a request the observer sends it. */
async function deliveredFromAuth(auth: NatsConnection, subject: string): Promise<boolean> {
  const data = `probe-${randomUUID()}`;
  auth.publish(subject, data);
  const answer = await observer.request(AuthSubjects.health, 'ping', { timeout: 5_000 });
  expect(answer.string()).toBe('pong');
  return seen.some((m) => m.data === data && m.subject === subject);
}

/** Resolves with the error the server closed the subscription with (a permissions violation), or 'open'. */
async function refusal(sub: Subscription, nc: NatsConnection): Promise<string> {
  await nc.flush();
  const closed = await Promise.race([sub.closed, nc.flush().then(() => 'open' as const)]);
  if (closed === 'open') return 'open';
  return closed instanceof Error ? closed.message : 'closed without error';
}

let gateway: NatsConnection;
let chat: NatsConnection;
let broker: NatsConnection;
let auth: NatsConnection;
let tokenRequests: string[];

beforeAll(async () => {
  server = await startNatsServer({ namespace: ns });
  observer = await as('test');
  observer.subscribe(`${ns}.v1.>`, { callback: (err, msg) => { if (!err) seen.push({ subject: msg.subject, data: msg.string() }); } });
  await observer.flush();
  [gateway, chat, broker, auth] = await Promise.all([as('gateway'), as('chat'), as('mcp-broker'), as('auth')]);

  // The auth service's side: answers access-token requests with a secret, and health pings.
  tokenRequests = [];
  auth.subscribe(AuthSubjects.accessToken, {
    queue: 'harness-auth',
    callback: (err, msg) => {
      if (err) return;
      tokenRequests.push(msg.string());
      msg.respond(JSON.stringify({ accessToken: `secret-for-${msg.string()}` }));
    },
  });
  auth.subscribe(AuthSubjects.health, { queue: 'harness-auth', callback: (err, msg) => { if (!err) msg.respond('pong'); } });
  await auth.flush();
}, 30_000);

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await server?.stop();
});

describe('NATS credentials', () => {
  test('a wrong password, an unknown user or no credentials cannot connect; the right ones can', async () => {
    const good = server.connectOptions('gateway');
    await expect(connect({ servers: good.servers, user: 'gateway', pass: 'wrong', reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: good.servers, user: 'intruder', pass: good.pass, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: good.servers, reconnect: false })).rejects.toThrow(/authorization/i);
    const nc = await connect({ ...good, reconnect: false });
    await nc.close();
  });
});

describe('access tokens: only the mcp-broker may ask, only it reads the answer', () => {
  test('the broker gets a token; the gateway\'s request is refused and never reaches the auth service', async () => {
    const ok = await broker.request(AuthSubjects.accessToken, 'broker-1', { timeout: 5_000 });
    expect(ok.json()).toEqual({ accessToken: 'secret-for-broker-1' });

    await expect(gateway.request(AuthSubjects.accessToken, 'gateway-1', { timeout: 2_000 })).rejects.toThrow();
    expect(await delivered('gateway', gateway, AuthSubjects.accessToken)).toBe(false);
    await expect(chat.request(AuthSubjects.accessToken, 'chat-1', { timeout: 2_000 })).rejects.toThrow();
    expect(tokenRequests).toEqual(['broker-1']);
  });

  test('no other service can subscribe to the broker\'s inbox (where the tokens arrive) or to everything', async () => {
    const brokerInbox = `${natsInboxPrefix(ns, 'mcp-broker')}.>`;
    const snoops: string[] = [];
    for (const [who, nc] of [['gateway', gateway], ['chat', chat], ['auth', auth]] as const) {
      for (const subject of [brokerInbox, '_INBOX.>', '>']) {
        const sub = nc.subscribe(subject, { callback: (err, msg) => { if (!err) snoops.push(`${who}:${msg.string()}`); } });
        expect(await refusal(sub, nc)).toMatch(/permissions violation for subscription/i);
      }
    }
    // Control: the broker's own subscription to its inbox is accepted.
    const own = broker.subscribe(`${natsInboxPrefix(ns, 'mcp-broker')}.probe`);
    expect(await refusal(own, broker)).toBe('open');
    own.unsubscribe();

    const reply = await broker.request(AuthSubjects.accessToken, 'broker-2', { timeout: 5_000 });
    expect(reply.json()).toEqual({ accessToken: 'secret-for-broker-2' });
    await Promise.all([gateway.flush(), chat.flush(), auth.flush()]);
    expect(snoops).toEqual([]);
  });

  test('a request without the service\'s own inbox prefix gets no answer (its reply inbox may not be read)', async () => {
    const plain = await connect({ servers: [server.url], user: 'mcp-broker', pass: server.connectOptions('mcp-broker').pass, name: 'perm-default-inbox' });
    open.push(plain);
    await expect(plain.request(AuthSubjects.accessToken, 'default-inbox', { timeout: 2_000 })).rejects.toThrow();
  });
});

describe('conversation events: only chat publishes them', () => {
  test('chat\'s events reach the gateway; the gateway\'s, the broker\'s and the auth service\'s are refused', async () => {
    const conv = randomUUID();
    const atGateway: string[] = [];
    gateway.subscribe(conversationEventsSubject(conv), { callback: (err, msg) => { if (!err) atGateway.push(msg.string()); } });
    await gateway.flush();

    expect(await delivered('chat', chat, conversationEventsSubject(conv))).toBe(true);
    await waitFor(() => atGateway.length === 1, { intervalMs: 5, description: 'chat\'s event at the gateway' });

    expect(await delivered('gateway', gateway, conversationEventsSubject(conv))).toBe(false);
    expect(await delivered('mcp-broker', broker, conversationEventsSubject(conv))).toBe(false);
    expect(await deliveredFromAuth(auth, conversationEventsSubject(conv))).toBe(false);
    await gateway.flush();
    expect(atGateway).toHaveLength(1);
  });
});

describe('user commands: only the gateway sends them', () => {
  test('the gateway may send chat commands; chat, the broker and the auth service may not', async () => {
    expect(await delivered('gateway', gateway, ChatSubjects.send)).toBe(true);
    expect(await delivered('chat', chat, ChatSubjects.send)).toBe(false);
    expect(await delivered('chat', chat, ChatSubjects.deleteConversation)).toBe(false);
    expect(await delivered('mcp-broker', broker, ChatSubjects.interrupt)).toBe(false);
    expect(await deliveredFromAuth(auth, ChatSubjects.send)).toBe(false);
  });

  test('forwarding between chat replicas (chat.owner.<id>) is chat\'s alone: the gateway cannot go around the queue group', async () => {
    const conv = randomUUID();
    expect(await delivered('chat', chat, ownerSubject(conv))).toBe(true);
    expect(await delivered('gateway', gateway, ownerSubject(conv))).toBe(false);
    expect(await delivered('mcp-broker', broker, ownerSubject(conv))).toBe(false);
  });

  test('tool calls come from chat only (the gateway lists tools, nothing more)', async () => {
    expect(await delivered('chat', chat, McpBrokerSubjects.callTool)).toBe(true);
    expect(await delivered('gateway', gateway, McpBrokerSubjects.listTools)).toBe(true);
    expect(await delivered('gateway', gateway, McpBrokerSubjects.callTool)).toBe(false);
    expect(await delivered('gateway', gateway, McpBrokerSubjects.cancelToolCall)).toBe(false);
  });

  test('API key commands come from the gateway only (a broker or chat holding them could mint or verify keys)', async () => {
    for (const subject of [AuthSubjects.createApiKey, AuthSubjects.listApiKeys, AuthSubjects.revokeApiKey, AuthSubjects.verifyApiKey]) {
      expect(await delivered('gateway', gateway, subject)).toBe(true);
      expect(await delivered('chat', chat, subject)).toBe(false);
      expect(await delivered('mcp-broker', broker, subject)).toBe(false);
      expect(await deliveredFromAuth(auth, subject)).toBe(false);
    }
  });

  test('only the auth service may take auth commands off the bus', async () => {
    for (const [who, nc] of [['gateway', gateway], ['chat', chat], ['mcp-broker', broker]] as const) {
      const sub = nc.subscribe(AuthSubjects.accessToken, { queue: 'harness-auth' });
      expect(`${who}: ${await refusal(sub, nc)}`).toMatch(/^[a-z-]+: permissions violation for subscription/i);
    }
  });
});
