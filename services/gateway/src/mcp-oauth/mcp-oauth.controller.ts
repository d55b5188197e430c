import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import type { Config } from '@harness/config';
import { Public } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/auth.guard.js';
import { CONFIG } from '../core/tokens.js';
import type { HttpResponse } from '../http/types.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { renderCallbackPage } from './callback-page.js';
import { McpOAuth } from './mcp-oauth.service.js';
import { CallbackQuery, ServerUrlQuery, StartBody } from './mcp-oauth.schemas.js';

/** Connecting the user's account on an OAuth MCP server (connections belong to the user and the server URL). */
@Controller('v1/mcp/oauth')
export class McpOAuthController {
  constructor(
    @Inject(McpOAuth) private readonly oauth: McpOAuth,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** `{authorizationUrl, nonce}`: the web app opens the URL in a popup and accepts only a message with the nonce. */
  @Post('start')
  @HttpCode(200)
  @RateLimited('oauthStarts')
  start(@CurrentUser() user: string, @Body(new ZodPipe(StartBody)) body: StartBody) {
    return this.oauth.start(user, body.serverUrl);
  }

  /** The authorization server redirects the browser here: no user token, the state binds the user. An HTML page. */
  @Public()
  @Get('callback')
  async callback(@Query(new ZodPipe(CallbackQuery)) query: CallbackQuery, @Res() res: HttpResponse) {
    const { httpStatus, outcome } = await this.oauth.complete(query);
    const page = renderCallbackPage(outcome, this.config.gateway.webOrigin);
    res.statusCode = httpStatus;
    for (const [name, value] of Object.entries(page.headers)) res.setHeader(name, value);
    res.end(page.body);
  }

  @Get('status')
  status(@CurrentUser() user: string, @Query(new ZodPipe(ServerUrlQuery)) query: ServerUrlQuery) {
    return this.oauth.status(user, query.serverUrl);
  }

  @Delete('connection')
  @HttpCode(204)
  async disconnect(@CurrentUser() user: string, @Query(new ZodPipe(ServerUrlQuery)) query: ServerUrlQuery) {
    await this.oauth.revoke(user, query.serverUrl);
  }
}
