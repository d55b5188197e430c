import { Inject, Injectable } from '@nestjs/common';
import type { ListApiKeysCommand, ListApiKeysResult } from '@harness/contracts';
import type { ApiKeysContext } from '../api-keys/context.js';
import { listKeys } from '../api-keys/store.js';
import { API_KEYS_CONTEXT } from '../tokens.js';

/** `auth.cmd.api-key-list`: the user's keys (no key material: name, display prefix, dates). */
@Injectable()
export class ListApiKeys {
  constructor(@Inject(API_KEYS_CONTEXT) private readonly ctx: ApiKeysContext) {}

  execute(cmd: ListApiKeysCommand): Promise<ListApiKeysResult> {
    return listKeys(this.ctx.pool, cmd.userId, cmd.limit, cmd.cursor);
  }
}
