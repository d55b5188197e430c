// Test helpers shared by every tier (unit, integration, e2e). All real: Postgres, NATS, Redis, processes.
export { repoRoot, migrationsDir, testLogsDir } from './paths.js';
export {
  createTestDatabase,
  dropDatabase,
  serverUrl,
  sweepStaleTestDatabases,
  uniqueDatabaseName,
  withDatabase,
  type CreateTestDatabaseOptions,
  type TestDatabase,
} from './database.js';
export { getFreePort } from './ports.js';
export { findNatsServer, startNatsServer, type NatsConnectOptions, type NatsIdentity, type NatsServerHandle } from './nats-server.js';
export {
  startSystem,
  ALL_SERVICES,
  type ServiceName,
  type StartSystemOptions,
  type System,
  type SystemProcess,
} from './system.js';
export {
  readSse,
  isSseEvent,
  isSseComment,
  sseJson,
  type CollectOptions,
  type ReadSseOptions,
  type SseComment,
  type SseEvent,
  type SseItem,
  type SseStream,
} from './sse.js';
export { waitFor, type WaitForOptions } from './wait.js';
export { signToken, USER_ID_PATTERN } from './token.js';
export {
  launchBrowser,
  takeScreenshot,
  withScreenshotOnFailure,
  axeViolations,
  expectNoAxeViolations,
  signInWithDev,
  ChromiumMissingError,
  CHROMIUM_PATH,
  CHROMIUM_ARGS,
  screenshotsDir,
  type AxeViolation,
  type LaunchBrowserOptions,
  type LaunchedBrowser,
} from './browser.js';
