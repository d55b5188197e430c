import { apiKeyOfAuthorization } from '@harness/contracts';
import type { ApiKeyVerifier } from '../api-keys/api-key-verifier.js';
import { verifyUserToken } from './verify-token.js';

/** The user of a request's bearer: an API key (`hk_…`, asked of the auth service) or an HS256 JWT. */
export function authenticate(authorization: string | undefined, secret: Uint8Array, apiKeys: ApiKeyVerifier): Promise<string> {
  const key = apiKeyOfAuthorization(authorization);
  return key === undefined ? verifyUserToken(authorization, secret) : apiKeys.userOf(key);
}
