import { z } from 'zod';
import { ApiKeyName, pageQuery, StorableDateTime } from '@harness/contracts';

/** POST /v1/api-keys. */
export const CreateApiKeyBody = z.object({ name: ApiKeyName, expiresAt: StorableDateTime.optional() }).strict();
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

/** GET /v1/api-keys: the whole list (the cap's default) in one page by default. */
export const ApiKeyListQuery = pageQuery(50, 100);
