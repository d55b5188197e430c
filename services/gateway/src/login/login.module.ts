import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { McpOAuthModule } from '../mcp-oauth/mcp-oauth.module.js';
import { LoginController } from './login.controller.js';
import { LoginProviders } from './login-providers.js';
import { MeController } from './me.controller.js';

/** Sign-in with the configured providers (passport-oauth2), sign-out, and `GET /v1/me`. */
@Module({
  imports: [AuthModule, McpOAuthModule, AdminModule],
  controllers: [LoginController, MeController],
  providers: [LoginProviders],
})
export class LoginModule {}
