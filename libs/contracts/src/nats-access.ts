/**
 * Who may publish and subscribe to what on NATS: one user per service, each allowed only the subjects it really uses
 * (see subjects.ts), so a process holding one service's credentials cannot act as another. Replies travel on
 * per-service inboxes (`_INBOX.<namespace>.<service>.…`): a service may read only its own, so e.g. the gateway never
 * sees the access tokens the auth service sends the broker. Responders answer through `allow_responses` (they may
 * publish only to the reply subject of a request they received).
 *
 * `renderNatsServerConfig` writes the nats-server `authorization` block for one namespace; scripts/nats-config.mjs,
 * `npm start` and libs/testing's startSystem use it, and deploy/nats-server.conf is its output for the namespace
 * `harness` (a unit test keeps them equal).
 */
export const NATS_SERVICES = ['gateway', 'chat', 'mcp-broker', 'auth'] as const;
export type NatsService = (typeof NATS_SERVICES)[number];

/** The prefix of every reply inbox a service's connections create (nats.js / Nest option `inboxPrefix`). */
export const natsInboxPrefix = (namespace: string, service: NatsService | 'test') => `_INBOX.${namespace}.${service}`;

/**
 * How long a responder may take to answer one request (nats-server's default is 2 minutes): longer than the longest
 * command, a tool call (HARNESS_MCP_TOOL_TIMEOUT_MS at most 15 minutes, plus chat's 15 s margin). One answer each:
 * Nest sends a handler's result as one message.
 */
export const NATS_RESPONSE_WINDOW = '20m';

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (publish once to their reply subject). */
  allowResponses: boolean;
}

/** The permissions of each service for one namespace. */
export function natsPermissions(namespace: string): Record<NatsService, NatsPermissions> {
  const v1 = `${namespace}.v1`;
  const inbox = (s: NatsService) => `${natsInboxPrefix(namespace, s)}.>`;
  return {
    // The edge: user commands to chat, tool listing, the OAuth steps a user drives, API keys, readiness pings; reads live events.
    gateway: {
      publish: [
        // Every chat command, `chat.cmd.budget-set` (an admin's budget for a user; chat owns budgets) included.
        `${v1}.chat.cmd.>`,
        `${v1}.mcp-broker.cmd.list-tools`,
        // A user's answer to an MCP server's question (elicitation).
        `${v1}.mcp-broker.cmd.elicitation-answer`,
        `${v1}.auth.cmd.start`, `${v1}.auth.cmd.complete`, `${v1}.auth.cmd.status`, `${v1}.auth.cmd.revoke`,
        // API keys: created, listed and revoked for the signed-in user; verified on each key-authenticated request.
        `${v1}.auth.cmd.api-key-create`, `${v1}.auth.cmd.api-key-list`, `${v1}.auth.cmd.api-key-revoke`, `${v1}.auth.cmd.api-key-verify`,
        // Sign-in: the callback opens a session; each cookie request verifies it; sign-out ends it; /v1/me reads the profile.
        `${v1}.auth.cmd.sign-in`, `${v1}.auth.cmd.session-verify`, `${v1}.auth.cmd.session-end`, `${v1}.auth.cmd.session-end-all`, `${v1}.auth.cmd.user-get`, `${v1}.auth.cmd.identity-resolve`,
        `${v1}.chat.health`, `${v1}.mcp-broker.health`, `${v1}.auth.health`,
      ],
      subscribe: [`${v1}.conv.*.events`, inbox('gateway')],
      allowResponses: false,
    },
    // Runs conversations: takes user commands, forwards them between replicas, publishes live events, calls tools.
    // `chat.cmd.>` includes `chat.cmd.budget-set`: chat is the only writer of budgets.
    chat: {
      publish: [`${v1}.conv.*.events`, `${v1}.chat.owner.>`, `${v1}.mcp-broker.cmd.>`],
      // `chat.elicitation.*`: the broker's questions to the user during a tool call of a run this replica runs.
      subscribe: [`${v1}.chat.cmd.>`, `${v1}.chat.health`, `${v1}.chat.owner.>`, `${v1}.chat.elicitation.*`, inbox('chat')],
      allowResponses: true,
    },
    // Tool listing and calls for chat (and listing for the gateway); the only one asking for users' access tokens.
    'mcp-broker': {
      // `chat.elicitation.*`: an MCP server's question to the user, to the chat replica running the tool call's run.
      publish: [`${v1}.auth.cmd.access-token`, `${v1}.auth.cmd.client-credentials-token`, `${v1}.auth.cmd.start`, `${v1}.chat.elicitation.*`],
      subscribe: [`${v1}.mcp-broker.cmd.>`, `${v1}.mcp-broker.health`, inbox('mcp-broker')],
      allowResponses: true,
    },
    // Answers only.
    auth: {
      publish: [],
      subscribe: [`${v1}.auth.cmd.>`, `${v1}.auth.health`],
      allowResponses: true,
    },
  };
}

/**
 * Test systems only: a user that may send and watch every subject of the namespace (the tests' own commands and
 * observers), replies on its own inbox. Never part of a deployment's config.
 */
export function natsTestPermissions(namespace: string): NatsPermissions {
  return { publish: [`${namespace}.v1.>`], subscribe: [`${namespace}.v1.>`, `${natsInboxPrefix(namespace, 'test')}.>`], allowResponses: false };
}

export interface NatsUserEntry {
  user: string;
  /** The password itself, or `{ env: NAME }`: the server reads it from its environment (`$NAME` in the config). */
  password: string | { env: string };
  permissions: NatsPermissions;
}

export interface NatsServerConfigOptions {
  users: NatsUserEntry[];
  /** e.g. `127.0.0.1:4222`; omitted: the server's command line or default decides. */
  listen?: string;
  /** Lines of `#` comments at the top. */
  header?: string[];
}

/** A nats-server configuration (its own format) with one user per entry and its permissions. */
export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;
  const lines = [...(o.header ?? []).map((h) => `# ${h}`.trimEnd())];
  if (o.listen) lines.push(`listen: ${JSON.stringify(o.listen)}`);
  lines.push('authorization {', '  users = [');
  for (const u of o.users) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(u.user)) throw new Error(`invalid NATS user name ${JSON.stringify(u.user)}`);
    const password = typeof u.password === 'string' ? JSON.stringify(u.password) : `$${u.password.env}`;
    if (typeof u.password !== 'string' && !/^[A-Z][A-Z0-9_]*$/.test(u.password.env)) throw new Error(`invalid variable name ${u.password.env}`);
    const p = u.permissions;
    // An empty allow list would mean "no restriction" to the server: deny everything instead.
    const publish = p.publish.length ? `{ allow: ${list(p.publish)} }` : '{ deny: [">"] }';
    lines.push(
      `    { user: ${JSON.stringify(u.user)}, password: ${password}, permissions: {`,
      `        publish: ${publish}`,
      `        subscribe: { allow: ${list(p.subscribe)} }`,
      ...(p.allowResponses ? [`        allow_responses: { max: 1, expires: ${JSON.stringify(NATS_RESPONSE_WINDOW)} }`] : []),
      '    } }',
    );
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

/** The users of a deployment: user name = service name, passwords read from `NATS_<SERVICE>_PASSWORD` by the server. */
export function deploymentNatsUsers(namespace: string): NatsUserEntry[] {
  const perms = natsPermissions(namespace);
  return NATS_SERVICES.map((s) => ({ user: s, password: { env: natsPasswordVariable(s) }, permissions: perms[s] }));
}

/**
 * A deployment's configuration (the output of scripts/nats-config.mjs; deploy/nats-server.conf for `harness`):
 * passwords as references to the server's environment.
 */
export function deploymentNatsConfig(namespace: string, listen?: string): string {
  return renderNatsServerConfig({
    users: deploymentNatsUsers(namespace),
    listen,
    header: [
      `Harness NATS users and permissions for the namespace "${namespace}" (HARNESS_NATS_NAMESPACE).`,
      `Generated by: node scripts/nats-config.mjs --namespace ${namespace}${listen ? ` --listen ${listen}` : ''}  (do not edit by hand)`,
      `Passwords come from the server's environment: ${NATS_SERVICES.map(natsPasswordVariable).join(', ')}.`,
      'Each service connects with NATS_USER=<its name> and NATS_PASSWORD=<the same value>.',
    ],
  });
}

/** `NATS_MCP_BROKER_PASSWORD` for `mcp-broker`: the variable the server config reads a service's password from. */
export const natsPasswordVariable = (service: NatsService) => `NATS_${service.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

/** What a service's NATS connections need from its config (libs/config's Config has these fields). */
export interface NatsClientSettings {
  natsUrl: string;
  natsNamespace: string;
  nats: { user: string; password: string } | undefined;
}

/**
 * The connection options every NATS connection of `service` uses (raw nats.js `connect` and Nest's NATS transport,
 * which passes its options on): the server, the service's credentials when configured, and its own inbox prefix.
 */
export function natsConnectOptions(c: NatsClientSettings, service: NatsService): { servers: string[]; user?: string; pass?: string; inboxPrefix: string } {
  return {
    servers: [c.natsUrl],
    ...(c.nats ? { user: c.nats.user, pass: c.nats.password } : {}),
    inboxPrefix: natsInboxPrefix(c.natsNamespace, service),
  };
}
