/**
 * The board's API is read-only but for retrying and cleaning jobs: adding, editing (data, delay, priority),
 * promoting, pausing, emptying or obliterating would let an admin run or change a tool call (under another user's
 * credentials, or stop everyone's). Paths are relative to ADMIN_QUEUES_PATH, compared exactly (case and trailing
 * slash included), so nothing but these two actions gets through whatever Express's looser routing would match.
 */
const ALLOWED_ACTIONS = [
  /^\/api\/queues\/[^/]+\/(retry|clean)\/[^/]+$/, // retry or clean every job of a state
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|clean)$/, // retry or clean one job
];

/** True when `method` on `path` (no query) only reads, or is a retry or a clean. */
export function isAllowedBoardRequest(method: string | undefined, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'PUT' && ALLOWED_ACTIONS.some((pattern) => pattern.test(path));
}
