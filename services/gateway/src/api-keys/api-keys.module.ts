import { Module } from '@nestjs/common';
import { McpOAuthModule } from '../mcp-oauth/mcp-oauth.module.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeysController } from './api-keys.controller.js';

/** API keys: create, list and revoke (through the auth service), and the verifier the AuthGuard uses for `hk_` bearers. */
@Module({
  imports: [McpOAuthModule],
  controllers: [ApiKeysController],
  providers: [ApiKeyVerifier],
  exports: [ApiKeyVerifier],
})
export class ApiKeysModule {}
