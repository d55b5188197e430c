import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserId } from './commands.js';

/**
 * People signing in (issue 9). The gateway runs the login (passport strategies, the provider's redirect and callback)
 * and holds the browser's `harness_session` cookie; the auth service owns users, their identities at the login
 * providers and the sessions. A session token is 32 random bytes (base64url); only its SHA-256 is stored and sent over
 * NATS after the sign-in answer (the same reasoning as API keys: full entropy, so a fast hash is right).
 */
export const SESSION_COOKIE = 'harness_session';
const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const generateSessionToken = (): string => randomBytes(32).toString('base64url');
export const isSessionToken = (value: string): boolean => SESSION_TOKEN_PATTERN.test(value);
/** Hex SHA-256 of the session token. */
export const hashSessionToken = (token: string): string => createHash('sha256').update(token).digest('hex');

const TokenHash = z.string().regex(/^[0-9a-f]{64}$/);
const Correlation = { correlationId: z.string().max(200).optional() };
/** A login provider's id in HARNESS_LOGIN_PROVIDERS. */
export const LoginProviderId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/);

/** What a provider said about the person, as stored (bounded: a provider's profile is outside input). */
export const IdentityProfile = z.object({
  name: z.string().max(200).nullable(),
  email: z.string().max(320).nullable(),
  emailVerified: z.boolean(),
  avatarUrl: z.string().max(2000).nullable(),
});
export type IdentityProfile = z.infer<typeof IdentityProfile>;

/** A Harness user as the API shows it (`GET /v1/me` adds `admin`). */
export const UserProfile = z.object({ id: UserId, ...IdentityProfile.shape });
export type UserProfile = z.infer<typeof UserProfile>;

/**
 * After a provider's callback verified the person: finds (or creates, on the first sign-in) the one Harness user of
 * `(providerId, subject)`, refreshes the identity's profile, and opens a session. The same identity always maps to the
 * same user id. `idToken` (OIDC only) is kept encrypted with the session, for Cross-App Access token exchange.
 */
export const SignInCommand = z.object({
  providerId: LoginProviderId,
  subject: z.string().min(1).max(255),
  profile: IdentityProfile,
  idToken: z.string().max(16_384).optional(),
  userAgent: z.string().max(500).optional(),
  ...Correlation,
});
export type SignInCommand = z.infer<typeof SignInCommand>;
/**
 * `sessionToken` exists only in this answer (the gateway puts it in the cookie); `expiresAt` is the absolute expiry.
 * `endedTokenHashes`: the user's oldest sessions this sign-in ended (past HARNESS_SESSIONS_MAX_PER_USER), so the
 * gateway drops its cached verifications of them at once.
 */
export const SignInResult = z.object({
  user: UserProfile, sessionToken: z.string(), expiresAt: z.string(), created: z.boolean(), endedTokenHashes: z.array(TokenHash).default([]),
});
export type SignInResult = z.infer<typeof SignInResult>;

/**
 * Is there an open session with this hash, within its absolute and idle expiry? Extends the idle expiry (the write
 * happens at most about once a minute per session).
 */
export const VerifySessionCommand = z.object({ tokenHash: TokenHash, ...Correlation });
export type VerifySessionCommand = z.infer<typeof VerifySessionCommand>;
export const VerifySessionResult = z.discriminatedUnion('valid', [
  z.object({ valid: z.literal(true), user: UserProfile, sessionId: z.uuid(), providerId: LoginProviderId, expiresAt: z.string() }),
  z.object({ valid: z.literal(false) }),
]);
export type VerifySessionResult = z.infer<typeof VerifySessionResult>;

/** Sign-out: ends this one session (unknown or already ended: still `{ended: 0}`, never an error). */
export const EndSessionCommand = z.object({ tokenHash: TokenHash, ...Correlation });
export type EndSessionCommand = z.infer<typeof EndSessionCommand>;
/** Sign out everywhere: ends every session of the user. */
export const EndAllSessionsCommand = z.object({ userId: UserId, ...Correlation });
export type EndAllSessionsCommand = z.infer<typeof EndAllSessionsCommand>;
/** `tokenHashes`: the sessions ended, so the gateway drops its cached verifications of them at once. */
export const EndSessionsResult = z.object({ ended: z.number().int().min(0), tokenHashes: z.array(TokenHash) });
export type EndSessionsResult = z.infer<typeof EndSessionsResult>;

/**
 * The Harness user of an identity at a login provider, without signing in (the gateway accepting an external IdP's
 * access token for that provider's subject); null when that identity never signed in.
 */
export const ResolveIdentityCommand = z.object({ providerId: LoginProviderId, subject: z.string().min(1).max(255), ...Correlation });
export type ResolveIdentityCommand = z.infer<typeof ResolveIdentityCommand>;
export const ResolveIdentityResult = z.object({ userId: UserId.nullable() });
export type ResolveIdentityResult = z.infer<typeof ResolveIdentityResult>;

/** The profile of a user id (for `GET /v1/me` and admin-by-e-mail checks on bearer requests); null when the user never signed in. */
export const GetUserCommand = z.object({ userId: UserId, ...Correlation });
export type GetUserCommand = z.infer<typeof GetUserCommand>;
export const GetUserResult = z.object({ user: UserProfile.nullable() });
export type GetUserResult = z.infer<typeof GetUserResult>;

