import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthModule } from '../auth/auth.module.js';
import { McpOAuthModule } from '../mcp-oauth/mcp-oauth.module.js';
import { ADMIN_QUEUES_PATH } from './admin-auth.js';
import { AdminPolicy } from './admin-policy.js';
import { QueueBoard } from './queue-board.js';

/** Admin pages: Bull Board at /admin/queues (admin users only). */
@Module({ imports: [AuthModule, McpOAuthModule], providers: [QueueBoard, AdminPolicy], exports: [QueueBoard, AdminPolicy] })
export class AdminModule {}

/**
 * Mounts the board on the gateway's Express instance. Call after the correlation and body middlewares and before the
 * app listens (Nest's own routes are added at init, after these).
 */
export function mountAdminPages(app: NestExpressApplication): void {
  app.use(ADMIN_QUEUES_PATH, ...app.get(QueueBoard).handlers());
}
