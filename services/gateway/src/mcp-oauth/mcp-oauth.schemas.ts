import { z } from 'zod';

/** An MCP server's URL, as the auth service takes it (the canonical resource of the tokens). */
export const ServerUrl = z.url({ protocol: /^https?$/, error: 'serverUrl must be an http(s) URL' }).max(2_048);

export const StartBody = z.object({ serverUrl: ServerUrl }).strict();
export type StartBody = z.infer<typeof StartBody>;

export const ServerUrlQuery = z.object({ serverUrl: ServerUrl });
export type ServerUrlQuery = z.infer<typeof ServerUrlQuery>;

/** The page `start` points at when Cross-App Access connected the server at once. */
export const ConnectedQuery = z.object({ serverUrl: ServerUrl, nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) });
export type ConnectedQuery = z.infer<typeof ConnectedQuery>;

/** Longer values from an authorization server are cut, not refused: the page still tells the user what happened. */
const cut = (max: number) => z.string().transform((s) => s.slice(0, max));

/** The authorization server's redirect (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export const CallbackQuery = z.object({
  state: z.string().min(1).max(2_000),
  code: z.string().min(1).max(8_000).optional(),
  iss: z.string().max(2_048).optional(),
  error: cut(500).optional(),
  error_description: cut(2_000).optional(),
});
export type CallbackQuery = z.output<typeof CallbackQuery>;
