// A scripted "model" for the screenshots: the LLM simulator (tools/llm-simulator) behind a small proxy that adds the
// simulator's `@sim` scenario to the demo's questions, so the conversation in the pictures reads like a person's (no
// `@sim` line in what they typed) while every answer still comes from the simulator through the real services.
import http from 'node:http';
import { startSimulator } from '@harness/llm-simulator';

/**
 * Starts the simulator and the proxy on 127.0.0.1; `script` maps a question (the last user message, trimmed) to
 * `(afterToolResults) => scenario`. Returns `{ url, close() }` where url is the OpenAI-compatible base URL (…/v1).
 */
export async function startDemoLlm(script) {
  const simulator = await startSimulator({ port: 0 });
  const upstream = new URL(simulator.url);

  const withScenario = (raw) => {
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return raw;
    }
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    const lastUser = messages.findLast((m) => m?.role === 'user');
    const question = typeof lastUser?.content === 'string' ? lastUser.content.trim() : null;
    const scenarioOf = question === null ? undefined : script.get(question);
    if (!scenarioOf) return raw;
    const afterToolResults = messages.at(-1)?.role === 'tool';
    lastUser.content = `${question}\n@sim ${JSON.stringify(scenarioOf(afterToolResults))}`;
    return JSON.stringify(body);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let payload = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url.endsWith('/chat/completions')) payload = Buffer.from(withScenario(payload.toString('utf8')));
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(payload.length) };
      const forward = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      res.on('close', () => forward.destroy());
      forward.end(payload);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await simulator.close();
    },
  };
}
