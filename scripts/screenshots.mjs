#!/usr/bin/env node
// Refreshes docs/screenshots/*.png: the app as a person sees it, on the real system with a seeded demo.
//
//   npm run build && npm run screenshots [-- --out docs/screenshots]
//
// Starts the built system (startSystem) with the LLM simulator behind a scripted proxy (scripts/lib/demo-llm.mjs:
// the demo questions read naturally), the in-repo MCP test server and OAuth test server; signs in through the dev IdP
// as a person does; seeds through the API a harness "Research assistant" (reasoning, an MCP server, an OAuth server not
// yet connected) and a conversation (reasoning, two parallel tool calls, markdown with a table and a code block,
// usage); then drives the app by role and accessible name only, in Chromium at 1280×800, device scale 1.
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startOAuthTestServer } from '@harness/oauth-test-server';
import { launchBrowser, repoRoot, startSystem } from '@harness/testing';
import { apiAs, sendAndFinish, signInAsPerson, startMcpServer } from '../bench/lib/web.mjs';
import { startDemoLlm } from './lib/demo-llm.mjs';

const { values: args } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (args.help) {
  process.stdout.write('Usage: npm run screenshots [-- --out DIR]   (default docs/screenshots; needs `npm run build` and /usr/bin/chromium)\n');
  process.exit(0);
}
const outDir = args.out ?? join(repoRoot, 'docs', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };
const MOBILE = { width: 375, height: 800 };
const log = (msg) => process.stdout.write(`[screenshots] ${msg}\n`);

const FIRST_QUESTION = 'In two sentences: what is an MCP server?';
const MAIN_QUESTION = 'Which of the big CDNs serve HTTP/3 today, and how do I turn it on in nginx?';
const ANSWER = `Short version: all three serve HTTP/3 by default now, and nginx has shipped it since 1.25.

| CDN | HTTP/3 | Since |
|---|---|---|
| Cloudflare | on by default | 2019 |
| Fastly | on by default | 2021 |
| Amazon CloudFront | opt-in per distribution | 2022 |

For nginx, listen on UDP as well and advertise it with \`Alt-Svc\`:

\`\`\`nginx
server {
    listen 443 quic reuseport;
    listen 443 ssl;
    http2 on;
    ssl_protocols TLSv1.3;
    add_header Alt-Svc 'h3=":443"; ma=86400';
}
\`\`\`

Open **UDP 443** in the firewall too, or browsers quietly fall back to HTTP/2.`;

/** What the demo "model" answers to each question (see scripts/lib/demo-llm.mjs). */
const DEMO_SCRIPT = new Map([
  [FIRST_QUESTION, () => ({
    reasoning: '',
    text: 'An MCP server exposes tools, resources and prompts to a model over the Model Context Protocol. Harness connects to the servers of a harness and lets the model call their tools during a run.',
    tokensPerSecond: 400,
  })],
  [MAIN_QUESTION, (afterToolResults) => afterToolResults
    ? { reasoning: '', afterTools: ANSWER, tokensPerSecond: 800 }
    : {
      reasoning: 'Two things to check: which CDNs turn HTTP/3 on by default, and the nginx directives. I will look both up at the same time, then put the CDNs in a table and show a minimal server block.',
      toolCalls: [
        { name: 'echo', arguments: { text: 'CDN HTTP/3 support: Cloudflare default since 2019, Fastly default since 2021, CloudFront opt-in since 2022' } },
        { name: 'echo', arguments: { text: 'nginx HTTP/3: listen 443 quic, since 1.25.0; advertise with Alt-Svc' } },
      ],
      tokensPerSecond: 400,
    }],
]);

async function main() {
  mkdirSync(outDir, { recursive: true });
  const mcp = await startMcpServer();
  const oauth = await startOAuthTestServer();
  const llm = await startDemoLlm(DEMO_SCRIPT);
  let system;
  let launched;
  const failed = [];
  try {
    system = await startSystem({ label: 'screenshots', llmBaseUrl: llm.url, readyTimeoutMs: 60_000 });
    const gw = system.gatewayUrl;
    launched = await launchBrowser();
    const { browser } = launched;
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const page = await context.newPage();
    // Requests in flight, but not the event streams that stay open as long as a page shows a conversation.
    const inFlight = new Set();
    const isStream = (req) => /\/(events|stream)(\?|$)/.test(new URL(req.url()).pathname) || req.headers().accept === 'text/event-stream';
    page.on('request', (req) => {
      if (!isStream(req)) inFlight.add(req);
    });
    for (const done of ['requestfinished', 'requestfailed']) page.on(done, (req) => inFlight.delete(req));
    /** Until nothing but event streams has been in flight for 500 ms (at most 10 s): what a page loads has arrived. */
    const settle = async () => {
      const until = Date.now() + 10_000;
      let quietSince = Date.now();
      while (Date.now() < until) {
        if (inFlight.size > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= 500) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const shot = async (p, name) => {
      await settle();
      const file = join(outDir, name);
      await p.screenshot({ path: file });
      log(`wrote ${relative(process.cwd(), file)}`);
    };

    log('sign-in page');
    await page.goto(`${gw}/`);
    await page.getByRole('button', { name: 'Sign in with Dev', exact: true }).waitFor();
    await shot(page, 'sign-in.png');

    log('signing in and seeding the demo');
    const me = await signInAsPerson(page, gw, 'ada');
    const call = apiAs(gw, await system.token(me.id, '1h'));
    const harness = await call('POST', '/v1/harnesses', {
      name: 'Research assistant',
      model: 'sim/reasoning',
      systemPrompt: 'You research questions carefully. Use the tools to look things up, say where an answer comes from, and answer in concise markdown.',
      reasoning: { effort: 'medium' },
      mcpServers: [{ name: 'research-tools', url: mcp.url }],
    });
    for (const title of ['Postgres vacuum tuning', 'Release notes for 0.4']) {
      await call('POST', '/v1/conversations', { harnessId: harness.id, title });
    }
    const conv = await call('POST', '/v1/conversations', { harnessId: harness.id, title: 'HTTP/3 on CDNs and nginx' });
    for (const question of [FIRST_QUESTION, MAIN_QUESTION]) {
      const terminal = await sendAndFinish(call, conv.id, question);
      if (terminal !== 'finish') throw new Error(`the demo run for "${question}" ended with ${terminal}`);
    }
    // Added after the conversation's runs, so the runs never waited for this server's OAuth connection.
    await call('PATCH', `/v1/harnesses/${harness.id}`, {
      mcpServers: [...harness.mcpServers.map(({ id, name, url }) => ({ id, name, url })), { name: 'team-wiki', url: oauth.url, authType: 'oauth' }],
    });

    const openConversation = async (p) => {
      await p.goto(`${gw}/c/${conv.id}`);
      await p.getByText('Open UDP 443', { exact: false }).waitFor({ timeout: 15_000 });
      const box = p.getByRole('textbox', { name: 'Message', exact: true });
      await box.waitFor();
    };
    /** Opens a disclosure button (reasoning, tool call) unless it is open already. */
    const open = async (disclosure) => {
      if ((await disclosure.count()) > 0 && (await disclosure.getAttribute('aria-expanded')) !== 'true') await disclosure.click();
    };
    /** Scrolls the main question to the top: it, the reasoning, the tool calls and as much of the answer as fits. */
    const showMainAnswer = (p) => p.getByText(MAIN_QUESTION, { exact: true }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    /** Picks a display mode the way a person does: the radio button in the "Display mode" group (saved to settings). */
    const setDisplayMode = async (p, mode) => {
      const radio = p.getByRole('radiogroup', { name: 'Display mode', exact: true }).getByRole('radio', { name: mode, exact: true });
      if (!(await radio.isChecked())) await radio.click();
      await p.getByRole('radiogroup', { name: 'Display mode', exact: true }).getByRole('radio', { name: mode, exact: true, checked: true }).waitFor();
    };

    const pictures = [
      ['chat.png', async () => {
        await openConversation(page);
        await setDisplayMode(page, 'Standard');
        await showMainAnswer(page);
      }],
      ['chat-developer.png', async () => {
        await openConversation(page);
        await setDisplayMode(page, 'Developer');
        await open(page.getByRole('button', { name: /^Thinking/ }).last());
        await open(page.getByRole('button', { name: /echo/ }).last());
        await showMainAnswer(page);
      }],
      ['harness-editor.png', async () => {
        await setDisplayMode(page, 'Standard');
        await page.goto(`${gw}/harnesses/${harness.id}`);
        await page.getByRole('textbox', { name: 'Name', exact: true }).waitFor({ timeout: 15_000 });
        await page.getByText('team-wiki').first().waitFor({ timeout: 15_000 });
        // The model list comes from the LLM endpoint; the picture is taken once it has.
        await page.getByText('Loading models', { exact: false }).waitFor({ state: 'hidden', timeout: 15_000 });
      }],
      ['harness-editor-servers.png', async () => {
        await page.getByRole('heading', { name: 'MCP servers', exact: true }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      }],
      ['mobile.png', async () => {
        await page.setViewportSize(MOBILE);
        await openConversation(page);
      }],
    ];
    for (const [name, show] of pictures) {
      log(name);
      try {
        await show();
        await shot(page, name);
      } catch (err) {
        failed.push(`${name}: ${String(err?.message ?? err).split('\n')[0]}`);
      }
    }
  } finally {
    await launched?.close().catch(() => undefined);
    await system?.stop().catch((err) => process.stderr.write(`[screenshots] stopping the system failed: ${err?.message ?? err}\n`));
    await llm.close().catch(() => undefined);
    await oauth.close().catch(() => undefined);
    await mcp.close().catch(() => undefined);
  }
  if (failed.length) throw new Error(`${failed.length} picture(s) not taken (the app does not show what they need yet?):\n  ${failed.join('\n  ')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[screenshots] failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
