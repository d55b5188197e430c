import 'reflect-metadata';
import { setSubjectNamespace } from '@harness/contracts';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '@harness/config';
import { CORRELATION_HEADER } from '@harness/contracts';
import { createLogger, PinoNestLogger, type Logger } from '@harness/logging';
import { mountAdminPages } from './admin/admin.module.js';
import { Authenticator } from './auth/authenticate.js';
import { authenticateBeforeBody } from './auth/authenticate-before-body.js';
import { AppModule } from './app.module.js';
import { GatewayMetrics } from './core/metrics.js';
import { DEFAULT_GATEWAY_OPTIONS, type GatewayOptions } from './core/tokens.js';
import { HttpErrorFilter } from './http/exception.filter.js';
import { jsonBody, MAX_BODY_BYTES } from './http/json-body.js';
import { MCP_OAUTH_START_PATH } from './mcp-oauth/browser-binding.js';
import { assignCorrelationId, runInCorrelationContext } from './http/request-context.js';
import type { HttpRequest } from './http/types.js';
import { AI_SDK_STREAM_HEADER } from './streaming/sse-framing.js';
import { mountWebApp } from './web/serve-web-app.js';

/**
 * The AI SDK posts the whole conversation to /v1/chat on every turn, so that one route accepts more than 1 MiB
 * (each message's content is still limited to 100,000 characters) — from an authenticated user only
 * (authenticateBeforeBody runs first).
 */
export const AI_CHAT_MAX_BODY_BYTES = 16 * MAX_BODY_BYTES;
/** Paths whose CORS answers allow credentials (see enableCors below). */
const withCredentials = (path: string): boolean =>
  path.startsWith('/v1/') || path === MCP_OAUTH_START_PATH || path === '/auth/logout' || path === '/auth/logout-all';
const bodyLimitFor = (req: HttpRequest) => (req.url?.split('?')[0].replace(/\/$/, '') === '/v1/chat' ? AI_CHAT_MAX_BODY_BYTES : MAX_BODY_BYTES);

export interface CreateGatewayAppOptions {
  logger?: Logger;
  options?: Partial<GatewayOptions>;
}

/** Builds the gateway application (used by main and by the integration tests); the caller listens and closes. */
export async function createGatewayApp(config: Config, opts: CreateGatewayAppOptions = {}): Promise<NestExpressApplication> {
  setSubjectNamespace(config.natsNamespace);
  const logger = opts.logger ?? createLogger('gateway', config.logLevel, config.prettyLogs);
  const options: GatewayOptions = { ...DEFAULT_GATEWAY_OPTIONS, ...opts.options };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(new PinoNestLogger(logger));
  app.disable('x-powered-by');
  app.use(assignCorrelationId(logger, app.get(GatewayMetrics)));
  const cors = { origin: config.gateway.webOrigin, exposedHeaders: [Object.keys(AI_SDK_STREAM_HEADER)[0], CORRELATION_HEADER], maxAge: 600 };
  // Credentials (the session cookie) for WEB_ORIGIN wherever cookie authentication is meant to work: the API, MCP
  // OAuth's start (it sets the browser binding cookie) and sign-out. Never for the admin board: its pages are the
  // gateway's own, and WEB_ORIGIN's script has no business reading them with the admin's cookie.
  app.enableCors((req: HttpRequest, cb: (err: Error | null, options: typeof cors & { credentials: boolean }) => void) =>
    cb(null, { ...cors, credentials: withCredentials(req.url?.split('?')[0] ?? '/') }));
  // The board authenticates first and reads its own (small) bodies after that; everything else with a body needs a
  // valid user token before the body is read.
  mountAdminPages(app);
  mountWebApp(app, config.gateway.webDir, logger);
  app.use(authenticateBeforeBody(app.get(Authenticator)));
  app.use(jsonBody(bodyLimitFor));
  app.use(runInCorrelationContext());
  app.useGlobalFilters(new HttpErrorFilter(logger));
  return app;
}
