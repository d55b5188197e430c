export {
  startMcpTestServer,
  type McpTestServerHandle,
  type McpTestServerOptions,
  type McpTestServerStats,
  type McpTestServerCall,
} from './server.js';
export { TINY_PNG_BASE64, TINY_WAV_BASE64 } from './media.js';
export { ASK_SCHEMA } from './server.js';
export { startHostileMcpServer, type HostileMcpServerHandle, type HostileMcpServerOptions } from './hostile.js';
