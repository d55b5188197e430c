import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Config } from '@harness/config';
import { Public } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/auth.guard.js';
import { CONFIG } from '../core/tokens.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { BrowserBinding } from './browser-binding.js';
import { renderCallbackPage } from './callback-page.js';
import { McpOAuth } from './mcp-oauth.service.js';
import { CallbackQuery, ConnectedQuery, ServerUrlQuery, StartBody } from './mcp-oauth.schemas.js';

/** Connecting the user's account on an OAuth MCP server (connections belong to the user and the server URL). */
@Controller('v1/mcp/oauth')
export class McpOAuthController {
  constructor(
    @Inject(McpOAuth) private readonly oauth: McpOAuth,
    @Inject(BrowserBinding) private readonly binding: BrowserBinding,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * `{authorizationUrl, nonce}`: the web app opens the URL in a popup and accepts only a message with the nonce. The
   * answer sets the browser binding cookie: only this browser can complete the flow.
   */
  @Post('start')
  @HttpCode(200)
  @RateLimited('oauthStarts')
  async start(
    @CurrentUser() user: string,
    @Body(new ZodPipe(StartBody)) body: StartBody,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    const started = await this.oauth.start(user, body.serverUrl, this.binding.forStart(req, res));
    if (!('status' in started)) return started;
    // Connected at once (Cross-App Access): api.md promises an `authorizationUrl`, so a client that knows nothing of
    // `status` still opens one — this page, which tells its opener "connected" as the callback would.
    const nonce = randomBytes(18).toString('base64url');
    const page = new URL(`${this.config.gateway.publicUrl}/v1/mcp/oauth/connected`);
    page.searchParams.set('serverUrl', started.serverUrl);
    page.searchParams.set('nonce', nonce);
    return { authorizationUrl: page.href, nonce, status: started.status, serverUrl: started.serverUrl };
  }

  /**
   * Where `start` points when the server was connected without a consent screen: the callback page's "connected"
   * message, posted to WEB_ORIGIN only. It changes nothing and tells nothing but what its query says.
   */
  @Public()
  @Get('connected')
  connected(@Query(new ZodPipe(ConnectedQuery)) query: ConnectedQuery, @Res() res: HttpResponse) {
    const page = renderCallbackPage({ status: 'connected', serverUrl: query.serverUrl, nonce: query.nonce }, this.config.gateway.webOrigin);
    for (const [name, value] of Object.entries(page.headers)) res.setHeader(name, value);
    res.end(page.body);
  }

  /**
   * The authorization server redirects the browser here: no user token; the state names the user and the flow, the
   * binding cookie must be the one of the browser that started it. An HTML page.
   */
  @Public()
  @Get('callback')
  async callback(@Query(new ZodPipe(CallbackQuery)) query: CallbackQuery, @Req() req: HttpRequest, @Res() res: HttpResponse) {
    const { httpStatus, outcome } = await this.oauth.complete(query, this.binding.atCallback(req));
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
