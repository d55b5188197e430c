import { ReasoningEffort, type HarnessReasoning } from '@harness/contracts';
import type { Prisma } from '@harness/db';

export type HarnessRow = Prisma.HarnessGetPayload<{ include: { mcpServers: true } }>;
export const WITH_SERVERS = { mcpServers: { orderBy: { position: 'asc' } } } as const satisfies Prisma.HarnessInclude;

/** The public harness shape. A server's token, secret or key is never part of it: only whether one is stored. */
export const presentHarness = (h: HarnessRow) => ({
  id: h.id,
  name: h.name,
  model: h.model,
  systemPrompt: h.systemPrompt,
  reasoning: presentReasoning(h.reasoningEffort),
  mcpServers: h.mcpServers.map((s) => ({
    id: s.id,
    name: s.name,
    url: s.url,
    authType: s.authType,
    hasAuthToken: s.authTokenEnc !== null,
    ...(s.authType === 'client_credentials' ? { clientId: s.clientId, hasClientSecret: s.clientSecretEnc !== null, hasPrivateKey: s.privateKeyEnc !== null } : {}),
  })),
  createdAt: h.createdAt.toISOString(),
  updatedAt: h.updatedAt.toISOString(),
});
export type HarnessResponse = ReturnType<typeof presentHarness>;

/** The column holds only what the contract accepted; anything else (a hand-edited row) reads as no reasoning. */
const presentReasoning = (stored: string | null): HarnessReasoning => {
  const effort = ReasoningEffort.safeParse(stored);
  return effort.success ? { effort: effort.data } : null;
};
