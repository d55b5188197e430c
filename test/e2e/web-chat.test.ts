// The conversation page in Chromium against the real system: streaming text and thinking, parallel MCP tool calls,
// stop, queue, regenerate, resume after a reload, a second tab following live, display modes, prompt history,
// copy, errors, and accessibility at desktop and phone widths.
import {
  expectNoAxeViolations, launchBrowser, signInWithDev, startSystem, takeScreenshot, waitFor, withScreenshotOnFailure, type LaunchedBrowser, type System,
} from '@harness/testing';
import { cpus, loadavg } from 'node:os';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { startMcpTestServer, type McpTestServerHandle } from '../../tools/mcp-test-server/src/index.js';
import { startOAuthTestServer, type OAuthTestServerHandle } from '../../tools/oauth-test-server/src/index.js';

const sim = (text: string, scenario: Record<string, unknown>) => `${text}\n@sim ${JSON.stringify(scenario)}`;

/** What the page's functions use of the browser (the tests are compiled without the DOM library). */
interface PageElement {
  parentElement: PageElement | null;
  scrollHeight: number;
  clientHeight: number;
  textContent: string | null;
}
interface BrowserGlobals {
  document: { querySelector(s: string): PageElement | null; querySelectorAll(s: string): ArrayLike<PageElement>; documentElement: PageElement };
  getComputedStyle(el: PageElement): { overflowY: string };
  innerHeight: number;
  navigator: { clipboard: { readText(): Promise<string> } };
  requestAnimationFrame(fn: () => void): number;
  PerformanceObserver: new (fn: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { type: string }): void };
}

/** Polls `fn` until the assertion holds (or its timeout passes, default 10 s). */
function poll<T>(fn: () => Promise<T> | T, { timeout = 10_000 } = {}) {
  const until = (assert: (v: T) => void) =>
    waitFor(async () => {
      assert(await fn());
      return true;
    }, { timeoutMs: timeout });
  return {
    toBe: (x: T) => until((v) => expect(v).toBe(x)),
    toContain: (x: string) => until((v) => expect(v).toContain(x)),
    toBeGreaterThan: (n: number) => until((v) => expect(v).toBeGreaterThan(n)),
    toBeGreaterThanOrEqual: (n: number) => until((v) => expect(v).toBeGreaterThanOrEqual(n)),
    not: { toBe: (x: T) => until((v) => expect(v).not.toBe(x)) },
  };
}

const RICH_ANSWER = [
  '## Both checks passed',
  '',
  'The two **slow** calls ran *in parallel*. Here is how to call the tool yourself:',
  '',
  '```ts',
  "const result = await client.callTool({ name: 'slow', arguments: { ms: 1200 } });",
  'console.log(result.content[0].text);',
  '```',
  '',
  '| call | took |',
  '|---|---|',
  '| first | ~1.2 s |',
  '| second | ~1.2 s |',
  '',
  'See [the MCP specification](https://modelcontextprotocol.io) for details.',
].join('\n');

describe('the conversation page in a real browser', () => {
  let system: System;
  let launched: LaunchedBrowser;
  let mcp: McpTestServerHandle;
  let oauthServer: OAuthTestServerHandle;
  let gw: string;
  let context: BrowserContext;
  let page: Page;
  let harnessId: string;

  /** A same-origin API call from the page, with the app's CSRF header. */
  const pageApi = (p: Page, method: string, path: string, body?: unknown) =>
    p.evaluate(async ({ method, path, body }) => {
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { 'X-Harness-Client': 'web', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    }, { method, path, body });

  const openConversation = async (p: Page = page, inHarness = harnessId): Promise<string> => {
    const created = await pageApi(p, 'POST', '/v1/conversations', { harnessId: inHarness, title: 'Web chat test' });
    expect(created.status).toBe(201);
    await p.goto(`${gw}/c/${created.body.id}`);
    await p.getByRole('textbox', { name: 'Message' }).waitFor();
    return created.body.id as string;
  };

  const send = async (text: string, p: Page = page) => {
    const box = p.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
  };

  const assistants = (p: Page = page) => p.getByRole('article', { name: 'Assistant', exact: true });
  const lastAssistant = (p: Page = page): Locator => assistants(p).last();
  const setMode = async (mode: 'zen' | 'standard' | 'developer') => {
    expect((await pageApi(page, 'PUT', '/v1/me/settings', { displayMode: mode })).status).toBe(200);
    await page.reload();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
  };
  /** A screenshot of the whole conversation: the viewport grows to the page's height, so the dock sits at its end. */
  const shot = async (name: string, p: Page = page) => {
    const size = p.viewportSize()!;
    // The layout may scroll the conversation inside a container: grow the page by what that container hides.
    const height = await p.evaluate(() => {
      const g = globalThis as unknown as BrowserGlobals;
      let hidden = 0;
      for (let el = g.document.querySelector('.chat')?.parentElement ?? null; el; el = el.parentElement) {
        if (/(auto|scroll)/.test(g.getComputedStyle(el).overflowY)) hidden += el.scrollHeight - el.clientHeight;
      }
      return Math.max(g.document.documentElement.scrollHeight, g.innerHeight + hidden);
    });
    await p.setViewportSize({ width: size.width, height: Math.min(Math.max(height, size.height), 4_000) });
    await takeScreenshot(p, name);
    await p.setViewportSize(size);
  };
  const finished = (article: Locator) => poll(() => article.getByRole('button', { name: 'Regenerate', exact: true }).count(), { timeout: 20_000 }).toBe(1);

  beforeAll(async () => {
    mcp = await startMcpTestServer();
    oauthServer = await startOAuthTestServer();
    system = await startSystem({ label: 'web-chat' });
    gw = system.gatewayUrl;
    launched = await launchBrowser();
    context = await launched.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw });
    page = await context.newPage();
    // Signing in as a person does.
    await page.goto(`${gw}/`);
    await signInWithDev(page, gw, 'chat-alice');
    const harness = await pageApi(page, 'POST', '/v1/harnesses', {
      name: 'Chat test', model: 'sim/echo', systemPrompt: 'You are a test.', mcpServers: [{ name: 'test', url: mcp.url }],
    });
    expect(harness.status).toBe(201);
    harnessId = harness.body.id;
  }, 90_000);

  afterAll(async () => {
    await launched?.close();
    await system?.stop();
    await mcp?.close();
    await oauthServer?.close();
  });

  it('streams thinking, parallel tool calls and markdown; copy, usage, display modes; no axe violation at 1280 and 375 px', async () => {
    await withScreenshotOnFailure(page, 'web-chat-rich', async () => {
      await openConversation();
      await send(sim('Please run both checks.', {
        reasoning: 'The user wants both checks. I will call the slow tool twice at the same time and then summarize the results in a table with a code sample.',
        text: 'Running both checks now.',
        toolCalls: [{ name: 'slow', arguments: { ms: 1200 } }, { name: 'slow', arguments: { ms: 1200 } }],
        afterTools: RICH_ANSWER,
        tokensPerSecond: 25,
      }));
      const answer = lastAssistant();
      // Thinking: open while the model thinks.
      const thinking = answer.getByRole('button', { name: /^Thinking…/ });
      await thinking.first().waitFor({ timeout: 15_000 });
      await expect(thinking.first().getAttribute('aria-expanded')).resolves.toBe('true');
      // Both calls visible while they run, then both done.
      const running = answer.getByRole('button', { name: /^Tool slow.*running$/ });
      await poll(() => running.count(), { timeout: 15_000 }).toBe(2);
      const done = answer.getByRole('button', { name: /^Tool slow.*done in \d/ });
      await poll(() => done.count(), { timeout: 15_000 }).toBe(2);
      await finished(answer);
      // Thinking folds when done, with its measured duration.
      const thoughts = answer.getByRole('button', { name: /^Thinking \(\d+(\.\d)? (ms|s)\)$/ });
      await poll(() => thoughts.count()).toBeGreaterThanOrEqual(1);
      await expect(thoughts.first().getAttribute('aria-expanded')).resolves.toBe('false');
      // Markdown: a heading, a code block with its copy button, a link opening safely; the raw answer is not shown.
      await answer.getByRole('heading', { name: 'Both checks passed' }).waitFor();
      await expect(answer.getByRole('button', { name: 'Copy code' }).count()).resolves.toBe(1);
      const link = answer.getByRole('link', { name: 'the MCP specification' });
      await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
      await expect(answer.getByText('```ts').count()).resolves.toBe(0);
      // Usage of the message and of the conversation.
      await expect(answer.getByText(/\d+ tokens/).count()).resolves.toBe(1);
      await expect(page.getByLabel('Conversation usage').textContent()).resolves.toMatch(/\d+ tokens/);

      // Copy: the message's text to the clipboard.
      await answer.getByRole('button', { name: 'Copy', exact: true }).click();
      await poll(() => page.evaluate(() => (globalThis as unknown as BrowserGlobals).navigator.clipboard.readText())).toContain('## Both checks passed');

      // The tool call's details.
      await done.first().click();
      await answer.getByText('slept 1200', { exact: false }).first().waitFor();
      await expectNoAxeViolations(page);
      await shot('web-chat-rich-standard');
      await page.setViewportSize({ width: 375, height: 800 });
      await expectNoAxeViolations(page);
      await shot('web-chat-rich-375');
      await page.setViewportSize({ width: 1280, height: 900 });

      // Developer mode: ids, model, tokens, raw events.
      await setMode('developer');
      const devAnswer = lastAssistant();
      const id = await devAnswer.getAttribute('data-message-id');
      await devAnswer.getByText(id!, { exact: true }).waitFor();
      await devAnswer.getByText(/prompt · \d+ completion/).waitFor();
      await devAnswer.getByText('sim/echo', { exact: true }).waitFor();
      await devAnswer.getByRole('button', { name: 'Raw events' }).click();
      const raw = devAnswer.getByRole('list', { name: 'Raw events' });
      await poll(async () => (await raw.textContent()) ?? '', { timeout: 10_000 }).toContain('"type":"finish"');
      await expectNoAxeViolations(page);
      await shot('web-chat-rich-developer');

      // Zen: the conversation only, no usage.
      await setMode('zen');
      await lastAssistant().getByRole('heading', { name: 'Both checks passed' }).waitFor();
      await expect(page.getByText(/\d+ tokens/).count()).resolves.toBe(0);
      await expect(page.getByLabel('Conversation usage').count()).resolves.toBe(0);
      await shot('web-chat-rich-zen');
      await setMode('standard');
      await expect(lastAssistant().getByText(/\d+ tokens/).count()).resolves.toBe(1);
    });
  }, 90_000);

  it('stops a run mid-stream (the partial answer stays, marked interrupted), then the next message answers; ↑/↓ recall prompts', async () => {
    await withScreenshotOnFailure(page, 'web-chat-stop', async () => {
      await openConversation();
      await send(sim('first prompt', { text: 300, tokensPerSecond: 20 }));
      const answer = lastAssistant();
      await poll(async () => ((await answer.textContent()) ?? '').length, { timeout: 15_000 }).toBeGreaterThan(20);
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await answer.getByText(/Interrupted/).waitFor({ timeout: 15_000 });
      await poll(() => page.getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0);
      const partial = (await answer.textContent()) ?? '';
      expect(partial.length).toBeGreaterThan(20);

      await send('second prompt');
      await poll(() => assistants().count()).toBe(2);
      await lastAssistant().getByText('Echo: second prompt').waitFor({ timeout: 15_000 });
      await expect(assistants().first().getByText(/Interrupted/).count()).resolves.toBe(1);

      // Prompt history in an empty box.
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.focus();
      await box.press('ArrowUp');
      await expect(box.inputValue()).resolves.toBe('second prompt');
      await box.press('ArrowUp');
      await expect(box.inputValue()).resolves.toContain('first prompt');
      await box.press('ArrowDown');
      await expect(box.inputValue()).resolves.toBe('second prompt');
      await box.press('ArrowDown');
      await expect(box.inputValue()).resolves.toBe('');
      // Shift+Enter is a new line, not a send.
      await box.type('line one');
      await box.press('Shift+Enter');
      await box.type('line two');
      await expect(box.inputValue()).resolves.toBe('line one\nline two');
      await box.fill('');
    });
  }, 60_000);

  it('queues messages sent during a run; Remove and Send now work, and the queue survives a reload', async () => {
    await withScreenshotOnFailure(page, 'web-chat-queue', async () => {
      await openConversation();
      await send(sim('long one', { text: 400, tokensPerSecond: 20 }));
      await page.getByRole('button', { name: 'Stop', exact: true }).waitFor();
      await send('queued one');
      await send('queued two');
      const queue = page.getByRole('list', { name: 'Queued messages' });
      await poll(() => queue.getByRole('listitem').count(), { timeout: 10_000 }).toBe(2);
      await shot('web-chat-queue');

      await page.reload();
      await poll(() => queue.getByRole('listitem').count(), { timeout: 10_000 }).toBe(2);
      await expectNoAxeViolations(page);

      await queue.getByRole('listitem').filter({ hasText: 'queued two' }).getByRole('button', { name: 'Remove' }).click();
      await poll(() => queue.getByRole('listitem').count()).toBe(1);
      await queue.getByRole('listitem').filter({ hasText: 'queued one' }).getByRole('button', { name: 'Send now' }).click();
      await page.getByRole('article', { name: 'You' }).filter({ hasText: 'queued one' }).waitFor({ timeout: 15_000 });
      await lastAssistant().getByText('Echo: queued one').waitFor({ timeout: 15_000 });
      await poll(() => queue.count()).toBe(0);
      await expect(page.getByRole('article', { name: 'You' }).filter({ hasText: 'queued two' }).count()).resolves.toBe(0);
      // The long run was stopped by Send now.
      await expect(assistants().first().getByText(/Interrupted/).count()).resolves.toBe(1);
      await expect(assistants().count()).resolves.toBe(2);
    });
  }, 60_000);

  it('resumes a run after a reload: the same answer completes, once', async () => {
    await withScreenshotOnFailure(page, 'web-chat-resume', async () => {
      await openConversation();
      const words = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');
      await send(sim('resume me', { text: `${words} END-OF-ANSWER`, tokensPerSecond: 12 }));
      await poll(async () => (await lastAssistant().textContent()) ?? '', { timeout: 15_000 }).toContain('word3');
      await page.reload();
      await poll(async () => (await lastAssistant().textContent()) ?? '', { timeout: 20_000 }).toContain('END-OF-ANSWER');
      await finished(lastAssistant());
      await expect(assistants().count()).resolves.toBe(1);
      await expect(page.getByRole('article', { name: 'You' }).count()).resolves.toBe(1);
      expect(((await lastAssistant().textContent()) ?? '').match(/word10 /g)).toHaveLength(1);
    });
  }, 60_000);

  it('a second tab sees the other tab’s message and run live, without duplicates in either', async () => {
    await withScreenshotOnFailure(page, 'web-chat-two-tabs', async () => {
      const id = await openConversation();
      const other = await context.newPage();
      try {
        await other.goto(`${gw}/c/${id}`);
        await other.getByRole('textbox', { name: 'Message' }).waitFor();
        await send(sim('hello from tab one', { text: 'streaming words to the other tab and then the END', tokensPerSecond: 6 }));
        await other.getByRole('article', { name: 'You' }).filter({ hasText: 'hello from tab one' }).waitFor({ timeout: 10_000 });
        // Live: the other tab shows the run while it streams (Stop is offered there too).
        await other.getByRole('button', { name: 'Stop', exact: true }).waitFor({ timeout: 10_000 });
        await poll(async () => (await lastAssistant(other).textContent()) ?? '', { timeout: 10_000 }).toContain('streaming');
        expect(await lastAssistant(other).textContent()).not.toContain('the END');
        await poll(async () => (await lastAssistant(other).textContent()) ?? '', { timeout: 15_000 }).toContain('the END');
        await finished(lastAssistant(other));
        for (const p of [page, other]) {
          await expect(assistants(p).count()).resolves.toBe(1);
          await expect(p.getByRole('article', { name: 'You' }).count()).resolves.toBe(1);
        }
        // And the other way round.
        await send('reply from tab two', other);
        await lastAssistant(page).getByText('Echo: reply from tab two').waitFor({ timeout: 15_000 });
        await expect(page.getByRole('article', { name: 'You' }).count()).resolves.toBe(2);
        await poll(() => assistants(page).count()).toBe(2);
      } finally {
        await other.close();
      }
    });
  }, 60_000);

  it('regenerates an answer: a new message replaces the old one', async () => {
    await withScreenshotOnFailure(page, 'web-chat-regenerate', async () => {
      await openConversation();
      await send('regenerate me');
      await lastAssistant().getByText('Echo: regenerate me').waitFor({ timeout: 15_000 });
      await finished(lastAssistant());
      const before = await lastAssistant().getAttribute('data-message-id');
      await lastAssistant().getByRole('button', { name: 'Regenerate', exact: true }).click();
      await poll(() => lastAssistant().getAttribute('data-message-id'), { timeout: 15_000 }).not.toBe(before);
      await lastAssistant().getByText('Echo: regenerate me').waitFor({ timeout: 15_000 });
      await finished(lastAssistant());
      await expect(assistants().count()).resolves.toBe(1);
      await page.reload();
      await lastAssistant().getByText('Echo: regenerate me').waitFor();
      await expect(assistants().count()).resolves.toBe(1);
      await expect(lastAssistant().getAttribute('data-message-id')).resolves.not.toBe(before);
    });
  }, 60_000);

  it('streams 200 tokens/s smoothly: the answer grows frame by frame, the earlier message is kept, no long task over 50 ms', async () => {
    await withScreenshotOnFailure(page, 'web-chat-smooth', async () => {
      await openConversation();
      // Some history first, so the streaming message is not the only one on the page.
      await send(sim('warm up', { text: 120 }));
      await finished(lastAssistant());
      await page.evaluate(() => {
        const w = globalThis as unknown as BrowserGlobals & { longTasks: number[]; lengths: number[]; first: unknown };
        const articles = () => w.document.querySelectorAll('article[aria-label="Assistant"]');
        w.longTasks = [];
        w.lengths = [];
        w.first = articles()[0] ?? null;
        new w.PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.longTasks.push(Math.round(e.duration));
        }).observe({ type: 'longtask' });
        const sample = () => {
          const all = articles();
          const length = all.length > 1 ? (all[all.length - 1]!.textContent ?? '').length : 0;
          if (length !== w.lengths[w.lengths.length - 1]) w.lengths.push(length);
          if (w.lengths.length < 10_000) w.requestAnimationFrame(sample);
        };
        w.requestAnimationFrame(sample);
      });
      await send(sim('stream fast', { text: 1_000, tokensPerSecond: 200 }));
      await poll(() => assistants().count()).toBe(2);
      await finished(lastAssistant());
      const seen = await page.evaluate(() => {
        const w = globalThis as unknown as BrowserGlobals & { longTasks: number[]; lengths: number[]; first: unknown };
        return { longTasks: w.longTasks, steps: w.lengths.length, firstKept: !!w.first && w.first === w.document.querySelector('article[aria-label="Assistant"]') };
      });
      // ~5 s of tokens, rendered at most every 50 ms: many visible steps, not one jump at the end.
      expect(seen.steps).toBeGreaterThan(20);
      expect(seen.firstKept).toBe(true);
      // The 50 ms budget is only meaningful on a machine that is not oversubscribed (shared CI hosts often are).
      const load = loadavg()[0]! / cpus().length;
      if (load < 1.5) expect(seen.longTasks.filter((d) => d > 50)).toEqual([]);
      else console.warn(`web-chat: long tasks not asserted, load ${load.toFixed(1)} per CPU; seen: ${JSON.stringify(seen.longTasks)}`);
    });
  }, 60_000);

  it('answers an MCP server’s question (elicitation) with a form built from its schema', async () => {
    await withScreenshotOnFailure(page, 'web-chat-elicitation', async () => {
      await openConversation();
      await send(sim('Ask me', { toolCalls: [{ name: 'ask', arguments: { message: 'Tell me about your order' } }] }));
      const form = page.getByRole('region', { name: 'test asks' });
      await form.getByText('Tell me about your order').waitFor({ timeout: 15_000 });
      // Defaults prefilled; labels from the schema's titles.
      await expect(form.getByRole('textbox', { name: 'Name' }).inputValue()).resolves.toBe('Ada');
      await expect(form.getByRole('combobox', { name: 'Colour' }).inputValue()).resolves.toBe('green');
      await expect(form.getByRole('checkbox', { name: 'Subscribe' }).isChecked()).resolves.toBe(false);
      await expect(form.getByRole('spinbutton', { name: 'How many' }).inputValue()).resolves.toBe('3');
      await form.getByRole('textbox', { name: 'Name' }).fill('Grace');
      await form.getByRole('combobox', { name: 'Colour' }).selectOption('blue');
      await form.getByRole('checkbox', { name: 'Subscribe' }).check();
      await form.getByRole('spinbutton', { name: 'How many' }).fill('12');
      await form.getByRole('button', { name: 'Submit' }).click();
      await form.getByText('How many must be at most 10.').waitFor();
      await expectNoAxeViolations(page);
      await shot('web-chat-elicitation');
      await form.getByRole('spinbutton', { name: 'How many' }).fill('4');
      await form.getByRole('button', { name: 'Submit' }).click();
      await form.getByText('You answered this request.').waitFor({ timeout: 15_000 });
      await finished(lastAssistant());
      const answer = (await lastAssistant().textContent()) ?? '';
      expect(answer).toContain('Grace');
      expect(answer).toContain('blue');
      // After a reload no form is offered again for the answered question.
      await page.reload();
      await lastAssistant().getByText(/Grace/).waitFor({ timeout: 10_000 });
      await expect(page.getByRole('button', { name: 'Submit' }).count()).resolves.toBe(0);
    });
  }, 60_000);

  it('says when an MCP server needs the user to connect, with where to do it', async () => {
    await withScreenshotOnFailure(page, 'web-chat-mcp-auth', async () => {
      const harness = await pageApi(page, 'POST', '/v1/harnesses', {
        name: 'Needs OAuth', model: 'sim/echo', mcpServers: [{ name: 'protected', url: oauthServer.url, authType: 'oauth' }],
      });
      expect(harness.status).toBe(201);
      await openConversation(page, harness.body.id);
      await send('hello there');
      await lastAssistant().getByText('Echo: hello there').waitFor({ timeout: 15_000 });
      const notice = page.getByRole('region', { name: 'Connections needed' });
      await notice.getByText('Connect to continue:').waitFor({ timeout: 10_000 });
      await expect(notice.textContent()).resolves.toContain(oauthServer.url);
      await expect(notice.getByRole('link', { name: 'Open harness settings' }).getAttribute('href')).resolves.toBe(`/harnesses/${harness.body.id}`);
      await expectNoAxeViolations(page);
      await shot('web-chat-mcp-auth');
      await notice.getByRole('button', { name: 'Dismiss' }).click();
      await poll(() => notice.count()).toBe(0);
    });
  }, 60_000);

  it('shows a failed run’s error on the message and as a toast; the next message works', async () => {
    await withScreenshotOnFailure(page, 'web-chat-error', async () => {
      await openConversation();
      await send(sim('fail please', { status: 500 }));
      const answer = lastAssistant();
      await answer.getByText('The answer failed.').waitFor({ timeout: 30_000 });
      await expect(page.getByRole('alert').count()).resolves.toBeGreaterThanOrEqual(1);
      await expectNoAxeViolations(page);
      await shot('web-chat-error');
      await send('after the error');
      await lastAssistant().getByText('Echo: after the error').waitFor({ timeout: 15_000 });
    });
  }, 60_000);
});
