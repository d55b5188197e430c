import { z } from 'zod';
import { isStorableInJson, MAX_CONTENT_CHARS, NOT_STORABLE_IN_JSON } from './commands.js';

/** Request bodies of the public HTTP API (../docs/api.md). Responses are built from the projections. */

export const AuthType = z.enum(['none', 'bearer', 'oauth', 'client_credentials']);
export type AuthType = z.infer<typeof AuthType>;

/** Postgres text cannot hold U+0000: every string the API stores (or sends on) refuses it, as a 400 naming the field. */
const noNul = (s: string) => !s.includes('\u0000');
const NO_NUL = 'must not contain NUL characters (U+0000)';

/** An ISO-8601 date-time with offset that Postgres can compare with: years 0001..9999 once in UTC. */
export const StorableDateTime = z.iso.datetime({ offset: true }).refine((s) => {
  const year = new Date(s).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'must be a date-time from 0001-01-01 to 9999-12-31 (UTC)');

const httpUrl = z
  .string()
  .max(2048)
  .refine(noNul, NO_NUL)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'url must be an http(s) URL');

export const McpServerInput = z
  .object({
    /** PATCH only: the id of an existing server of this harness, which then keeps its stored token when authToken is omitted. */
    id: z.uuid().optional(),
    name: z.string().trim().min(1).max(200).refine(noNul, NO_NUL),
    url: httpUrl,
    authType: AuthType.default('none'),
    authToken: z.string().min(1).max(8192).refine(noNul, NO_NUL).optional(),
    /** `client_credentials`: the OAuth client Harness authenticates as (the harness owner's service identity). */
    clientId: z.string().trim().min(1).max(2_000).refine(noNul, NO_NUL).optional(),
    /** Write-only: `client_secret_basic`. */
    clientSecret: z.string().min(1).max(4_000).refine(noNul, NO_NUL).optional(),
    /** Write-only: `private_key_jwt` (RFC 7523), an unencrypted PEM private key (RSA, EC P-256 or P-384); parsed by the gateway. */
    privateKeyPem: z.string().min(1).max(16_384).refine(noNul, NO_NUL).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.authToken !== undefined && s.authType !== 'bearer') {
      ctx.addIssue({ code: 'custom', path: ['authToken'], message: 'authToken is only allowed with authType "bearer"' });
    }
    for (const field of ['clientId', 'clientSecret', 'privateKeyPem'] as const) {
      if (s[field] !== undefined && s.authType !== 'client_credentials') {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is only allowed with authType "client_credentials"` });
      }
    }
    if (s.authType === 'client_credentials' && s.clientId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'clientId is required with authType "client_credentials"' });
    }
    if (s.clientSecret !== undefined && s.privateKeyPem !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['privateKeyPem'], message: 'give either clientSecret or privateKeyPem, not both' });
    }
  });
export type McpServerInput = z.infer<typeof McpServerInput>;

/** The legacy harness shape stored MCP servers as bare URLs; they become `authType: "none"` servers. */
export const legacyMcpsToServers = (mcps: string[]): McpServerInput[] =>
  mcps.map((url) => ({ name: safeHostName(url), url, authType: 'none' as const }));

const safeHostName = (url: string): string => {
  try {
    return new URL(url).hostname || url;
  } catch {
    return url;
  }
};

/** How hard a model that thinks on request should think; sent to the provider with each LLM call of the harness's runs. */
export const ReasoningEffort = z.enum(['low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;
/** A harness's `reasoning`: null (the default) asks for no thinking and sends nothing. Also the shape of responses. */
export const HarnessReasoning = z.object({ effort: ReasoningEffort }).strict().nullable();
export type HarnessReasoning = z.infer<typeof HarnessReasoning>;

const harnessFields = {
  name: z.string().trim().min(1).max(200).refine(noNul, NO_NUL),
  model: z.string().trim().min(1).max(200).refine(noNul, NO_NUL),
  systemPrompt: z.string().max(MAX_CONTENT_CHARS).refine(noNul, NO_NUL).optional(),
  mcpServers: z.array(McpServerInput).max(50).optional(),
  /** Legacy shape: a list of server URLs. */
  mcps: z.array(httpUrl).max(50).optional(),
  reasoning: HarnessReasoning.optional(),
};

export const CreateHarnessBody = z.object(harnessFields).strict();
export type CreateHarnessBody = z.infer<typeof CreateHarnessBody>;

export const PatchHarnessBody = z
  .object({
    name: harnessFields.name.optional(),
    model: harnessFields.model.optional(),
    systemPrompt: harnessFields.systemPrompt,
    mcpServers: harnessFields.mcpServers,
    mcps: harnessFields.mcps,
    /** Omitted: unchanged; null: cleared. */
    reasoning: harnessFields.reasoning,
  })
  .strict();
export type PatchHarnessBody = z.infer<typeof PatchHarnessBody>;

const conversationTitle = z.string().trim().min(1).max(500).refine(noNul, NO_NUL);
export const CreateConversationBody = z.object({ harnessId: z.uuid(), title: conversationTitle.optional() }).strict();
/** PATCH /v1/conversations/:id: the title only (trimmed, 1..500 characters). */
export const RenameConversationBody = z.object({ title: conversationTitle }).strict();
export type RenameConversationBody = z.infer<typeof RenameConversationBody>;

/** The idempotency key of a send (the chat service stores it, also inside the message's event). */
export const ClientMessageId = z.string().min(1).max(200).refine(isStorableInJson, NOT_STORABLE_IN_JSON);

export const SendMessageBody = z
  .object({
    content: z.string().min(1, 'content must not be empty').refine(isStorableInJson, `content ${NOT_STORABLE_IN_JSON}`),
    clientMessageId: ClientMessageId.optional(),
  })
  .strict();
export const isContentTooLong = (content: string) => content.length > MAX_CONTENT_CHARS;

export const DisplayMode = z.enum(['zen', 'standard', 'developer']);
export const SettingsBody = z.object({ displayMode: DisplayMode }).strict();

/** `?limit=&cursor=` of a list: its default page size and its largest. */
export const pageQuery = (defaultLimit: number, maxLimit: number) =>
  z.object({
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().max(500).optional(),
  });
export type PageQuery = z.output<ReturnType<typeof pageQuery>>;

/** GET /v1/conversations. */
export const PaginationQuery = pageQuery(50, 200);
/**
 * The lists that answered everything before they were paginated default to a page that holds everything a normal
 * account has (the harness cap's default, a long conversation, a full queue, a harness's tools): existing clients that
 * ignore `nextCursor` see no difference below those sizes.
 */
export const HarnessListQuery = pageQuery(100, 200);
export const MessageListQuery = pageQuery(200, 500);
export const QueueListQuery = pageQuery(200, 200);
export const ToolListQuery = pageQuery(200, 500);

export const UsageQuery = z.object({ from: StorableDateTime.optional(), to: StorableDateTime.optional() });

/** The body the AI SDK's DefaultChatTransport posts. Messages are UIMessages; only their text parts matter here. */
export const ChatRequestBody = z.object({
  id: z.uuid(),
  messages: z
    .array(z.object({ id: z.string(), role: z.enum(['system', 'user', 'assistant']), parts: z.array(z.looseObject({ type: z.string() })) }).loose())
    .default([]),
  trigger: z.enum(['submit-message', 'regenerate-message']).default('submit-message'),
  messageId: z.string().optional(),
}).loose();
export type ChatRequestBody = z.infer<typeof ChatRequestBody>;
