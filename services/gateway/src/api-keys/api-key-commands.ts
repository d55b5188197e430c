import {
  AuthSubjects, CreateApiKeyCommand, CreateApiKeyResult, ListApiKeysCommand, ListApiKeysResult, RevokeApiKeyCommand, RevokeApiKeyResult,
  VerifyApiKeyCommand, VerifyApiKeyResult,
} from '@harness/contracts';
import { commandDef as def } from '../core/send-command.js';

/** The auth service's API key commands (it owns the api_keys table; the gateway never reads it). */
export const ApiKeyCommand = {
  create: def(() => AuthSubjects.createApiKey, CreateApiKeyCommand, CreateApiKeyResult),
  list: def(() => AuthSubjects.listApiKeys, ListApiKeysCommand, ListApiKeysResult),
  revoke: def(() => AuthSubjects.revokeApiKey, RevokeApiKeyCommand, RevokeApiKeyResult),
  verify: def(() => AuthSubjects.verifyApiKey, VerifyApiKeyCommand, VerifyApiKeyResult),
} as const;

/** A verification is on the request's path: the auth service answers from one indexed lookup, or the request is 503. */
export const VERIFY_TIMEOUT_MS = 5_000;
