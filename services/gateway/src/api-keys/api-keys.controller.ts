import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { PageQuery } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { UuidParam } from '../http/uuid-param.pipe.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { AuthCommands } from '../mcp-oauth/auth-commands.js';
import { ApiKeyCommand } from './api-key-commands.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeyListQuery, CreateApiKeyBody } from './api-keys.schemas.js';

/**
 * API keys for programs, kept by the auth service. A key belongs to the user who created it (whatever authenticated
 * the create request); the key itself is in the create answer only.
 */
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    @Inject(AuthCommands) private readonly auth: AuthCommands,
    @Inject(ApiKeyVerifier) private readonly verifier: ApiKeyVerifier,
  ) {}

  @Post()
  async create(@CurrentUser() user: string, @Body(new ZodPipe(CreateApiKeyBody)) body: CreateApiKeyBody) {
    const k = await this.auth.send(ApiKeyCommand.create, { userId: user, name: body.name, expiresAt: body.expiresAt });
    return { id: k.id, name: k.name, key: k.key, createdAt: k.createdAt, expiresAt: k.expiresAt };
  }

  @Get()
  list(@CurrentUser() user: string, @Query(new ZodPipe(ApiKeyListQuery)) query: PageQuery) {
    return this.auth.send(ApiKeyCommand.list, { userId: user, limit: query.limit, cursor: query.cursor });
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: string, @Param('id', new UuidParam('API key')) id: string): Promise<void> {
    const { keyHash } = await this.auth.send(ApiKeyCommand.revoke, { userId: user, id });
    this.verifier.forget(keyHash);
  }
}
