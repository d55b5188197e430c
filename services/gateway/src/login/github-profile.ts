import { z } from 'zod';
import type { FetchLike } from '@harness/outbound';
import type { IdentityProfile } from '@harness/contracts';
import { webUrl } from './id-token.js';
import { fetchJson, ProviderError } from './provider-fetch.js';

/** GET /user (the fields used). `id` is the stable numeric account id; `login` can be renamed. */
export const GitHubUser = z.object({
  id: z.number().int().positive(),
  login: z.string().max(100),
  name: z.string().max(1_000).nullable().optional(),
  avatar_url: z.string().max(2_000).nullable().optional(),
});
/** GET /user/emails (needs the `user:email` scope). */
export const GitHubEmails = z.array(z.object({ email: z.string().max(320), primary: z.boolean(), verified: z.boolean() })).max(1_000);

export interface GitHubIdentity {
  subject: string;
  profile: IdentityProfile;
}

/**
 * The identity of a GitHub account: subject = the numeric account id (as a string), name = the display name or else
 * the login, e-mail = the primary address when verified (else a verified one, else none: an unverified address is
 * never passed on as the person's).
 */
export function mapGitHubProfile(user: z.infer<typeof GitHubUser>, emails: z.infer<typeof GitHubEmails>): GitHubIdentity {
  const verified = emails.filter((e) => e.verified);
  const email = (verified.find((e) => e.primary) ?? verified[0])?.email ?? null;
  return {
    subject: String(user.id),
    profile: {
      name: (user.name?.trim() || user.login).slice(0, 200),
      email,
      emailVerified: email !== null,
      avatarUrl: webUrl(user.avatar_url),
    },
  };
}

const GITHUB_HEADERS = { accept: 'application/vnd.github+json', 'user-agent': 'Harness', 'x-github-api-version': '2022-11-28' };

/** The signed-in account, from GitHub's REST API with the user's access token. */
export async function fetchGitHubIdentity(fetch: FetchLike, apiUrl: string, accessToken: string): Promise<GitHubIdentity> {
  const headers = { ...GITHUB_HEADERS, authorization: `Bearer ${accessToken}` };
  const [user, emails] = await Promise.all([fetchJson(fetch, `${apiUrl}/user`, { headers }), fetchJson(fetch, `${apiUrl}/user/emails`, { headers })]);
  if (user.status !== 200) throw new ProviderError(`GitHub's /user answered ${user.status}`);
  const parsedUser = GitHubUser.safeParse(user.body);
  if (!parsedUser.success) throw new ProviderError('GitHub\'s /user answer is not an account');
  // Without the user:email scope (or with a token that may not read them) the addresses are unknown: no e-mail then.
  const parsedEmails = emails.status === 200 ? GitHubEmails.safeParse(emails.body) : undefined;
  return mapGitHubProfile(parsedUser.data, parsedEmails?.success ? parsedEmails.data : []);
}
