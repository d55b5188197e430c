import { appRoutes } from '@bull-board/api/dist/routes.js';
import { isAllowedBoardRequest } from '../../src/admin/board-actions.js';

/** A concrete path for a Bull Board route pattern. */
const pathOf = (route: string) => route.replace(':queueName', 'mcp-tool-calls').replace(':jobId', 'job-1').replace(':queueStatus', 'failed').replace(':schedulerId', 's1');

describe('the queue board is read-only but for retry and clean', () => {
  const routes = (appRoutes as { api: { method: string; route: string | string[] }[] }).api.flatMap((r) =>
    (Array.isArray(r.route) ? r.route : [r.route]).map((route) => ({ method: r.method.toUpperCase(), path: pathOf(route) })),
  );

  it("allows every read of the board's API, and of its actions only retry and clean", () => {
    const allowed = routes.filter((r) => isAllowedBoardRequest(r.method, r.path)).filter((r) => r.method !== 'GET');
    expect(allowed.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'PUT /api/queues/mcp-tool-calls/clean/failed',
      'PUT /api/queues/mcp-tool-calls/job-1/clean',
      'PUT /api/queues/mcp-tool-calls/job-1/retry',
      'PUT /api/queues/mcp-tool-calls/retry/failed',
    ]);
    for (const r of routes.filter((x) => x.method === 'GET')) expect(isAllowedBoardRequest('GET', r.path)).toBe(true);
    // The version of @bull-board this was written against still has the actions it refuses.
    for (const refused of ['POST /api/queues/mcp-tool-calls/add', 'PATCH /api/queues/mcp-tool-calls/job-1/update-data', 'PUT /api/queues/mcp-tool-calls/pause', 'PUT /api/queues/mcp-tool-calls/obliterate']) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(refused);
    }
  });

  it('refuses what Express would still route to another action: other case, trailing slash, other methods', () => {
    for (const [method, path] of [
      ['PUT', '/api/queues/mcp-tool-calls/PAUSE'],
      ['PUT', '/API/QUEUES/mcp-tool-calls/job-1/update-data'],
      ['PUT', '/api/queues/mcp-tool-calls/job-1/retry/'],
      ['PUT', '/api/queues/mcp-tool-calls/job-1/RETRY'],
      ['POST', '/api/queues/mcp-tool-calls/job-1/retry'],
      ['PATCH', '/api/queues/mcp-tool-calls/job-1/clean'],
      ['DELETE', '/api/queues/mcp-tool-calls/job-1'],
      ['PUT', '/api/queues/pause'],
      ['PUT', '/api/queues/mcp-tool-calls/job-schedulers/s1/run'],
      [undefined, '/api/queues'],
    ] as const) {
      expect(isAllowedBoardRequest(method, path)).toBe(false);
    }
  });
});
