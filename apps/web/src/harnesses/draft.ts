// The editor's form state, built from a harness and turned back into the API's body. Secrets are write-only: a draft
// holds only what the user typed; the stored ones are known by `hasAuthToken` / `hasClientSecret` / `hasPrivateKey`.
import { ApiError } from '../api/client';
import type { Harness, McpAuthType, McpServer, ReasoningEffort } from '../api/types';
import type { HarnessInput, McpServerInput } from './api';

export type ReasoningChoice = 'off' | ReasoningEffort;
export type ClientCredential = 'secret' | 'key';

export interface ServerDraft {
  /** Stable React key, also for servers not saved yet. */
  key: string;
  /** The saved server's id (absent until the harness is saved with it). */
  id?: string;
  name: string;
  url: string;
  authType: McpAuthType;
  /** A new token typed by the user; empty keeps the stored one. */
  authToken: string;
  clientId: string;
  credential: ClientCredential;
  clientSecret: string;
  privateKeyPem: string;
}

export interface HarnessDraft {
  name: string;
  model: string;
  systemPrompt: string;
  reasoning: ReasoningChoice;
  servers: ServerDraft[];
}

/** The API's limit on servers per harness. */
export const MAX_SERVERS = 50;

let nextKey = 1;
const newKey = () => `server-${nextKey++}`;

export const emptyDraft = (): HarnessDraft => ({ name: '', model: '', systemPrompt: '', reasoning: 'off', servers: [] });

export const newServerDraft = (): ServerDraft => ({
  key: newKey(),
  name: '',
  url: '',
  authType: 'none',
  authToken: '',
  clientId: '',
  credential: 'secret',
  clientSecret: '',
  privateKeyPem: '',
});

const serverDraftOf = (s: McpServer, key = newKey()): ServerDraft => ({
  ...newServerDraft(),
  key,
  id: s.id,
  name: s.name,
  url: s.url,
  authType: s.authType,
  clientId: s.clientId ?? '',
  credential: s.hasPrivateKey ? 'key' : 'secret',
});

/** The draft of a saved harness; `previous` keeps the React keys of servers that were already on screen. */
export function draftOf(h: Harness, previous?: HarnessDraft): HarnessDraft {
  const keyOf = (id: string) => previous?.servers.find((s) => s.id === id)?.key;
  return {
    name: h.name,
    model: h.model,
    systemPrompt: h.systemPrompt ?? '',
    reasoning: h.reasoning?.effort ?? 'off',
    servers: h.mcpServers.map((s) => serverDraftOf(s, keyOf(s.id))),
  };
}

function serverInput(s: ServerDraft): McpServerInput {
  const input: McpServerInput = { name: s.name.trim(), url: s.url.trim(), authType: s.authType };
  if (s.id) input.id = s.id;
  if (s.authType === 'bearer' && s.authToken) input.authToken = s.authToken;
  if (s.authType === 'client_credentials') {
    input.clientId = s.clientId.trim();
    if (s.credential === 'secret' && s.clientSecret) input.clientSecret = s.clientSecret;
    if (s.credential === 'key' && s.privateKeyPem) input.privateKeyPem = s.privateKeyPem;
  }
  return input;
}

export function inputOf(d: HarnessDraft): HarnessInput {
  return {
    name: d.name.trim(),
    model: d.model.trim(),
    systemPrompt: d.systemPrompt,
    reasoning: d.reasoning === 'off' ? null : { effort: d.reasoning },
    mcpServers: d.servers.map(serverInput),
  };
}

/** What a save would change, compared by the body it would send (keys and untouched secrets do not count). */
export const isDirty = (draft: HarnessDraft, saved: HarnessDraft) => JSON.stringify(inputOf(draft)) !== JSON.stringify(inputOf(saved));

/** Field path (as in the API's `details.issues[].path`, e.g. `mcpServers.0.url`) → message. */
export type FieldErrors = Record<string, string>;

/** The validator's terse sentences said plainly, next to the field they concern (the toast keeps the API's own). */
function plainFieldMessage(message: string): string {
  const small = /^Too small: expected string to have >=(\d+) characters?$/.exec(message);
  if (small) return small[1] === '1' ? 'Required.' : `At least ${small[1]} characters.`;
  const big = /^Too big: expected (?:string|array) to have <=(\d+) (characters|items)$/.exec(message);
  if (big) return `At most ${big[1]} ${big[2]}.`;
  return message;
}

/** The per-field messages of a 400 `validation_failed` (or `details.field` of another error); empty for other errors. */
export function fieldErrorsOf(e: unknown): FieldErrors {
  if (!(e instanceof ApiError) || e.status !== 400) return {};
  const details = e.details as { issues?: { path?: string; message?: string }[]; field?: string } | undefined;
  const errors: FieldErrors = {};
  for (const issue of details?.issues ?? []) {
    if (issue.path && issue.message && !(issue.path in errors)) errors[issue.path] = plainFieldMessage(issue.message);
  }
  if (details?.field && !(details.field in errors)) errors[details.field] = e.message;
  return errors;
}

/** The message for a field, also when the API named a sub-path of it (`reasoning.effort` for `reasoning`). */
export function errorFor(errors: FieldErrors, path: string): string | undefined {
  if (errors[path]) return errors[path];
  const sub = Object.keys(errors).find((k) => k.startsWith(`${path}.`));
  return sub ? errors[sub] : undefined;
}

export const AUTH_TYPE_LABELS: Record<McpAuthType, string> = {
  none: 'No auth',
  bearer: 'Bearer',
  oauth: 'OAuth',
  client_credentials: 'Client credentials',
};
