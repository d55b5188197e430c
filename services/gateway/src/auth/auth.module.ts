import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { McpOAuthModule } from '../mcp-oauth/mcp-oauth.module.js';
import { Authenticator } from './authenticate.js';
import { SessionVerifier } from './session-verifier.js';

/** Who a request is: bearers (JWTs, API keys) and the session cookie, for the global guard, the body check and the admin board. */
@Module({
  imports: [ApiKeysModule, McpOAuthModule],
  providers: [SessionVerifier, Authenticator],
  exports: [SessionVerifier, Authenticator],
})
export class AuthModule {}
