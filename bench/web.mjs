#!/usr/bin/env node
// Web app benchmark: the app in Debian's Chromium against the real system, measured against the budgets of issue 10.
//
//   npm run build && npm run bench:web [-- --messages 500 --tokens 2000 --rate 200 --loads 3]
//
// Starts the built system (startSystem: services, LLM simulator, dev IdP; messages not rate-limited) and the MCP test
// server, signs in through the app and the dev IdP as a person does, and measures
//   (a) initial JavaScript: every script the browser downloads until a page has rendered and no script has arrived
//       for 1 s, in a fresh browser context (empty cache), for the sign-in page, the signed-in home page and a
//       conversation; each file gzipped here with zlib level 9 (what the gateway serves is also printed);
//   (b) a conversation of N messages (half answers, half of those with MCP tool calls, made through the API with the
//       simulator) opened at /c/:id: navigation start → the textbox "Message" enabled and the last message in the
//       viewport ("ready"), → the end of the last long task before 1 s without any ("main thread idle"), and the
//       input delay of a key pressed as soon as it is ready;
//   (c) a 2000-token answer streamed at 200 tokens/s after a click on "Send": the long tasks (PerformanceObserver
//       'longtask') while it streams, the longest gap between animation frames and how many frames changed the DOM.
// It is a measurement, not a test: it exits 0 whether or not the budgets are met, non-zero only on errors.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser, startSystem } from '@harness/testing';
import {
  abortOnSignals,
  baseEnvironment,
  createDeadline,
  fmt,
  intOption,
  machineLine,
  outDirOption,
  parseOptions,
  repoRoot,
  runMain,
  table,
  writeResults,
} from './lib/common.mjs';
import { pageProbe } from './lib/page-probe.mjs';
import {
  apiAs,
  sendAndFinish,
  signInAsPerson,
  startMcpServer,
  waitForIdleConversation,
  waitForRunStart,
  withScenario,
} from './lib/web.mjs';

const HELP = `Usage: npm run bench:web -- [options]   (each option also reads an env variable)
  --messages N      messages in the long conversation (even)   BENCH_WEB_MESSAGES     default 500
  --tokens N        tokens of the streamed answer              BENCH_WEB_TOKENS       default 2000
  --rate R          tokens per second of that answer           BENCH_WEB_RATE         default 200
  --loads K         page loads of the long conversation        BENCH_WEB_LOADS        default 3
  --deadline-ms MS  abort everything after this                BENCH_WEB_DEADLINE_MS  default 600000
  --out DIR         where the JSON results go                  BENCH_OUT              default bench/results
  --profile DIR     also write CPU profiles of the page (first load, each stream) as DIR/*.cpuprofile, for
                    DevTools' Performance panel; profiling slows the page, so its figures are not comparable
Needs \`npm run build\` first (services and apps/web/dist) and Chromium at /usr/bin/chromium.`;

const args = parseOptions(
  { messages: { type: 'string' }, tokens: { type: 'string' }, rate: { type: 'string' }, loads: { type: 'string' }, profile: { type: 'string' } },
  HELP,
);
const opts = {
  messages: intOption(args, 'messages', 'BENCH_WEB_MESSAGES', 500, 2, 2_000),
  tokens: intOption(args, 'tokens', 'BENCH_WEB_TOKENS', 2_000, 1, 100_000),
  rate: intOption(args, 'rate', 'BENCH_WEB_RATE', 200, 1, 10_000),
  loads: intOption(args, 'loads', 'BENCH_WEB_LOADS', 3, 1, 20),
  deadlineMs: intOption(args, 'deadline-ms', 'BENCH_WEB_DEADLINE_MS', 600_000, 10_000, 3_600_000),
  outDir: outDirOption(args),
  profileDir: args.profile ?? null,
};

if (opts.messages % 2 !== 0) {
  process.stderr.write(`--messages must be even (a question and its answer each time), got ${opts.messages}\n`);
  process.exit(2);
}

const BUDGETS = { initialJsKiB: 200, interactiveMs: 500, longTaskMs: 50 };
/** No long task for this long after "ready": the main thread counts as idle. */
const QUIET_MS = 1_000;
/** The marker in the last answer of the long conversation: the probe waits for it in the viewport. */
const MARKER = `benchEnd${Date.now().toString(36)}`;

const deadline = createDeadline(opts.deadlineMs);
const log = (msg) => process.stdout.write(`[bench:web] ${msg}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const kib = (bytes) => bytes / 1024;

// ---------- (a) initial JavaScript ----------

/**
 * Opens `url` in a new context (empty cache; `storageState` carries a session), waits for `rendered(page)`, then until
 * no script response has arrived for 1 s; returns every script loaded, with its raw, gzip -9 and served sizes.
 */
async function initialJavaScript(browser, url, rendered, storageState) {
  const context = await browser.newContext(storageState ? { storageState } : {});
  const page = await context.newPage();
  const pending = [];
  let lastScriptAt = Date.now();
  page.on('response', (res) => {
    const type = res.request().resourceType();
    const path = new URL(res.url()).pathname;
    if (type !== 'script' && !/\.m?js$/.test(path)) return;
    lastScriptAt = Date.now();
    pending.push(
      (async () => {
        const body = await res.body();
        const sizes = await res.request().sizes().catch(() => null);
        return {
          path,
          rawBytes: body.length,
          gzipBytes: gzipSync(body, { level: 9 }).length,
          servedBytes: sizes?.responseBodySize ?? null,
          contentEncoding: (await res.headerValue('content-encoding')) ?? 'identity',
        };
      })(),
    );
  });
  try {
    await page.goto(url);
    let renderError = null;
    try {
      await rendered(page);
    } catch (err) {
      renderError = String(err?.message ?? err).split('\n')[0];
    }
    while (Date.now() - lastScriptAt < 1_000) await sleep(100);
    const seen = new Map();
    for (const f of await Promise.all(pending)) seen.set(f.path, f);
    const files = [...seen.values()];
    return {
      renderError,
      files,
      gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
      rawBytes: files.reduce((s, f) => s + f.rawBytes, 0),
      servedBytes: files.reduce((s, f) => s + (f.servedBytes ?? 0), 0),
      contentEncodings: [...new Set(files.map((f) => f.contentEncoding))],
    };
  } finally {
    await context.close();
  }
}

/** Every script of the build (apps/web/dist/assets/*.js), lazy chunks included, gzip -9. */
function allJavaScript() {
  const dir = join(repoRoot, 'apps', 'web', 'dist', 'assets');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  let gzipBytes = 0;
  let rawBytes = 0;
  for (const f of files) {
    const body = readFileSync(join(dir, f));
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { files: files.length, gzipBytes, rawBytes };
}

// ---------- (b) the long conversation ----------

/** The scenario of the i-th of `count` answers: tool calls (one, or two in parallel) every other answer, markdown. */
function answerScenario(i, count) {
  if (i === count - 1) return { text: `That is all for this conversation. ${MARKER}`, tokensPerSecond: 0 };
  const n = i + 1;
  if (i % 2 === 1) return { text: 90, tokensPerSecond: 0 };
  const calls = [{ name: 'echo', arguments: { text: `finding ${n}` } }];
  if (i % 4 === 0) calls.push({ name: 'echo', arguments: { text: `source ${n}` } });
  const code = i % 10 === 0 ? `\n\n\`\`\`js\nconst answer = await lookup(${n});\nconsole.log(answer);\n\`\`\`` : '';
  return {
    text: 12,
    toolCalls: calls,
    afterTools: `Here is what the tools returned for step ${n}:\n\n- **finding**: the echo came back\n- *source*: checked\n\n| item | value |\n|---|---|\n| step | ${n} |\n| calls | ${calls.length} |${code}`,
    tokensPerSecond: 0,
  };
}

/** A conversation of `messages` messages made through the API, one run after the other; returns its id. */
async function seedLongConversation(call, harnessId, messages) {
  const conv = await call('POST', '/v1/conversations', { harnessId, title: `${messages} messages with tool calls` });
  const answers = messages / 2;
  const started = Date.now();
  for (let i = 0; i < answers; i++) {
    deadline.check();
    const terminal = await sendAndFinish(call, conv.id, withScenario(`Question ${i + 1}: what did step ${i + 1} find?`, answerScenario(i, answers)));
    if (terminal !== 'finish') throw new Error(`run ${i + 1} of the long conversation ended with ${terminal}`);
    if ((i + 1) % 50 === 0) log(`seeded ${(i + 1) * 2}/${messages} messages (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  return { id: conv.id, seedMs: Date.now() - started };
}

/**
 * With --profile: starts the V8 sampling profiler of `page` (through the DevTools protocol; it survives navigations)
 * and returns the function that stops it and writes `<name>.cpuprofile`. Without: a function that does nothing.
 */
async function startProfile(page, name) {
  if (!opts.profileDir) return async () => undefined;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(opts.profileDir, { recursive: true });
    const file = join(opts.profileDir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    await cdp.detach().catch(() => undefined);
    log(`CPU profile written to ${relative(process.cwd(), file)}`);
  };
}

/** Resolves with the probe's state once `readyAt` is set (or after timeoutMs, with readyAt null). */
const waitForReady = (page, timeoutMs) =>
  page.evaluate(
    (timeout) =>
      new Promise((resolve) => {
        const until = performance.now() + timeout;
        const check = () => {
          const s = globalThis.__webBench;
          if (s?.readyAt != null || performance.now() > until) resolve(s?.readyAt ?? null);
          else setTimeout(check, 20);
        };
        check();
      }),
    timeoutMs,
  );

/** Resolves once no long task has ended for `quietMs` (and at least quietMs after `from`), at most 10 s. */
const waitForQuiet = (page, from, quietMs) =>
  page.evaluate(
    ({ from, quietMs }) =>
      new Promise((resolve) => {
        const until = performance.now() + 10_000;
        const check = () => {
          const s = globalThis.__webBench;
          const lastEnd = Math.max(from, ...s.longTasks.map((t) => t.start + t.duration));
          if (performance.now() - lastEnd >= quietMs || performance.now() > until) {
            const nav = performance.getEntriesByType('navigation')[0];
            resolve({
              longTasks: s.longTasks,
              firstInput: s.firstInput,
              boxEnabledAt: s.boxEnabledAt,
              lastMessageInViewAt: s.lastMessageInViewAt,
              articles: globalThis.document.getElementsByTagName('article').length,
              responseEnd: nav?.responseEnd ?? null,
              api: performance
                .getEntriesByType('resource')
                .filter((e) => new URL(e.name).pathname.startsWith('/v1/'))
                .map((e) => ({ path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd })),
              domContentLoaded: nav?.domContentLoadedEventEnd ?? null,
            });
          } else setTimeout(check, 50);
        };
        check();
      }),
    { from, quietMs },
  );

/** One page load of the conversation: ready, main thread idle, long tasks, input delay (ms since navigation start). */
async function loadConversation(context, gatewayUrl, conversationId, checkNames) {
  const page = await context.newPage();
  try {
    await page.addInitScript(pageProbe, MARKER);
    const stopProfile = checkNames ? await startProfile(page, 'load-long-conversation') : async () => undefined;
    await page.goto(`${gatewayUrl}/c/${conversationId}`, { waitUntil: 'domcontentloaded' });
    const readyAt = await waitForReady(page, 10_000);
    if (readyAt !== null) await page.keyboard.press('Shift');
    const after = await waitForQuiet(page, readyAt ?? 0, QUIET_MS);
    await stopProfile();
    const tasks = after.longTasks;
    const lastTaskEnd = Math.max(0, ...tasks.map((t) => t.start + t.duration));
    const idleAt = readyAt === null ? NaN : Math.max(readyAt, lastTaskEnd);
    let names = null;
    if (checkNames) {
      const box = page.getByRole('textbox', { name: 'Message', exact: true });
      names = { messageBoxes: await box.count(), messageBoxEnabled: (await box.count()) === 1 && (await box.isEnabled()) };
    }
    // The API answers the page waited for: the last one to end before it was ready (the rest of "ready" is the page's).
    const before = after.api.filter((a) => readyAt === null || a.end <= readyAt).sort((a, b) => b.end - a.end);
    return {
      lastApiResponseMs: before[0]?.end ?? NaN,
      lastApiPath: before[0]?.path.replace(conversationId, ':id') ?? null,
      api: after.api.map((a) => ({ ...a, path: a.path.replace(conversationId, ':id') })),
      readyMs: readyAt ?? NaN,
      messageBoxEnabledMs: after.boxEnabledAt ?? NaN,
      lastMessageInViewMs: after.lastMessageInViewAt ?? NaN,
      idleMs: idleAt,
      longTasks: tasks.length,
      longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
      blockingMs: tasks.reduce((s, t) => s + Math.max(0, t.duration - 50), 0),
      inputDelayMs: after.firstInput?.delay ?? NaN,
      articles: after.articles,
      responseEndMs: after.responseEnd,
      domContentLoadedMs: after.domContentLoaded,
      names,
    };
  } finally {
    await page.close();
  }
}

// ---------- (c) streaming ----------

/** Opens a conversation, sends the streaming scenario with "Message" and "Send", records until the run has ended. */
async function measureStream(context, gatewayUrl, call, conversationId, profileName) {
  const page = await context.newPage();
  try {
    await page.addInitScript(pageProbe, null);
    await page.goto(`${gatewayUrl}/c/${conversationId}`);
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill(withScenario('Stream a long answer, please.', { text: opts.tokens, tokensPerSecond: opts.rate }), { timeout: 15_000 });
    const send = page.getByRole('button', { name: 'Send', exact: true });
    await send.waitFor({ timeout: 15_000 });
    // The page's own loading (a long conversation renders for a while) must not count as streaming.
    await waitForQuiet(page, 0, QUIET_MS);
    const t0 = await page.evaluate(() => {
      globalThis.__webBench.recording = true;
      return performance.now();
    });
    const stopProfile = await startProfile(page, profileName);
    await send.click();
    // The run is followed through the API, not the page: querying the page while it streams would add work to it.
    if (!(await waitForRunStart(call, conversationId))) throw new Error('no run started within 15 s of the click on "Send"');
    await waitForIdleConversation(call, conversationId, (opts.tokens / opts.rate) * 1_000 + 30_000);
    const s = await page.evaluate(() => {
      const st = globalThis.__webBench;
      st.recording = false;
      return { longTasks: st.longTasks, frames: st.frames, domUpdateFrames: st.domUpdateFrames, end: performance.now() };
    });
    await stopProfile();
    const tasks = s.longTasks.filter((t) => t.start >= t0);
    const gaps = s.frames.slice(1).map((t, i) => t - s.frames[i]);
    const seconds = (s.end - t0) / 1000;
    const stopGone = await page.getByRole('button', { name: 'Stop', exact: true }).count().then((n) => n === 0);
    return {
      streamSeconds: seconds,
      longTasks: tasks.length,
      longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
      blockingMs: tasks.reduce((sum, t) => sum + Math.max(0, t.duration - 50), 0),
      frames: s.frames.length,
      longestFrameGapMs: Math.max(0, ...gaps),
      framesOver50Ms: gaps.filter((g) => g > 50).length,
      domUpdatesPerSecond: s.domUpdateFrames / seconds,
      stopButtonGoneAfterRun: stopGone,
      /** Each long task: ms after the click, duration (JSON only: where in the stream they happen). */
      longTaskList: tasks.map((t) => [Math.round(t.start - t0), Math.round(t.duration)]),
    };
  } finally {
    await page.close();
  }
}

/** A stream that could not be measured (e.g. no "Message" box on the page): its error, first line. */
const streamFailed = (err) => ({ error: String(err?.message ?? err).split('\n')[0] });

// ---------- report ----------

function printReport(r) {
  const passFail = (ok) => (ok === null ? 'n/a' : ok ? 'pass' : 'FAIL');
  const rows = [];
  for (const [label, js] of Object.entries(r.initialJs)) {
    const note = js.renderError ? ' (page never rendered)' : '';
    rows.push([`initial JS, ${label} (gzip -9)`, `${fmt(kib(js.gzipBytes), 1)} KiB in ${js.files.length} file(s)${note}`, `≤ ${BUDGETS.initialJsKiB} KiB`, passFail(kib(js.gzipBytes) <= BUDGETS.initialJsKiB)]);
  }
  rows.push(['all JS of the build, lazy chunks too (gzip -9)', `${fmt(kib(r.allJs.gzipBytes), 1)} KiB in ${r.allJs.files} file(s)`, '-', 'n/a']);
  const l = r.longConversation;
  const ok = (v, max) => (Number.isFinite(v) ? v <= max : false);
  const ms = (v) => (Number.isFinite(v) ? `${fmt(v, 0)} ms` : 'not reached');
  rows.push([`${opts.messages} messages: ready (median of ${l.loads.length})`, ms(l.readyMedianMs), `≤ ${BUDGETS.interactiveMs} ms`, passFail(ok(l.readyMedianMs, BUDGETS.interactiveMs))]);
  rows.push([`${opts.messages} messages: interactive, main thread idle (median)`, ms(l.idleMedianMs), `≤ ${BUDGETS.interactiveMs} ms`, passFail(ok(l.idleMedianMs, BUDGETS.interactiveMs))]);
  rows.push([`${opts.messages} messages: input delay right after ready (median)`, `${fmt(l.inputDelayMedianMs, 0)} ms`, '-', 'n/a']);
  for (const [label, s] of Object.entries(r.streams)) {
    if (s.error) {
      rows.push([`stream ${opts.tokens} tokens at ${opts.rate}/s, ${label}: long tasks`, 'not measured', `none > ${BUDGETS.longTaskMs} ms`, 'n/a']);
      continue;
    }
    rows.push([`stream ${opts.tokens} tokens at ${opts.rate}/s, ${label}: long tasks`, `${s.longTasks}, longest ${fmt(s.longestTaskMs, 0)} ms`, `none > ${BUDGETS.longTaskMs} ms`, passFail(s.longestTaskMs <= BUDGETS.longTaskMs)]);
  }

  process.stdout.write(`\nWeb app benchmark — ${r.environment.machine}, Chromium ${r.environment.chromium}; load average ${r.environment.loadAverageAtStart.join(' ')} at the start, ${r.environment.loadAverageAtEnd.join(' ')} at the end\n`);
  process.stdout.write(`${table(rows, ['figure', 'value', 'budget', 'result'])}\n`);
  if (opts.profileDir) process.stdout.write('(the first load and the streams ran under the CPU profiler: their figures are slower than without it)\n');

  process.stdout.write('\nInitial JavaScript per page (each file gzipped here at level 9; "served" is what the gateway sent):\n');
  process.stdout.write(
    `${table(
      Object.entries(r.initialJs).map(([label, js]) => [label, js.files.length, fmt(kib(js.rawBytes), 1), fmt(kib(js.gzipBytes), 1), `${fmt(kib(js.servedBytes), 1)} (${js.contentEncodings.join(', ')})`]),
      ['page', 'files', 'raw KiB', 'gzip KiB', 'served KiB'],
    )}\n`,
  );

  process.stdout.write(`\nThe ${opts.messages}-message conversation (${l.toolCallAnswers} answers with tool calls; seeded in ${fmt(l.seedMs / 1000, 1)} s), ms since navigation start:\n`);
  process.stdout.write(
    `${table(
      l.loads.map((x, i) => [
        `load ${i + 1}${i === 0 ? ' (first visit of /c/)' : ''}`,
        fmt(x.domContentLoadedMs, 0),
        Number.isFinite(x.lastApiResponseMs) ? `${fmt(x.lastApiResponseMs, 0)} (${x.lastApiPath})` : 'n/a',
        fmt(x.messageBoxEnabledMs, 0),
        fmt(x.lastMessageInViewMs, 0),
        fmt(x.readyMs, 0),
        fmt(x.idleMs, 0),
        x.longTasks,
        fmt(x.longestTaskMs, 0),
        fmt(x.blockingMs, 0),
        fmt(x.inputDelayMs, 1),
        x.articles,
      ]),
      ['load', 'DOMContentLoaded', 'last API response before ready', '"Message" enabled', 'last message in view', 'ready', 'idle', 'long tasks', 'longest', 'blocking', 'input delay', 'articles'],
    )}\n`,
  );
  if (l.names) process.stdout.write(`(check: textbox "Message" found by role and name ${l.names.messageBoxes} time(s), enabled: ${l.names.messageBoxEnabled})\n`);

  const measuredStreams = Object.values(r.streams).filter((s) => !s.error).length;
  if (measuredStreams) process.stdout.write('\nStreaming, from the click on "Send" to the end of the run:\n');
  if (measuredStreams) process.stdout.write(
    `${table(
      Object.entries(r.streams).filter(([, s]) => !s.error).map(([label, s]) => [
        label,
        fmt(s.streamSeconds, 1),
        s.longTasks,
        fmt(s.longestTaskMs, 0),
        fmt(s.blockingMs, 0),
        fmt(s.longestFrameGapMs, 0),
        s.framesOver50Ms,
        fmt(s.domUpdatesPerSecond, 1),
        s.stopButtonGoneAfterRun ? 'yes' : 'no',
      ]),
      ['conversation', 's', 'long tasks', 'longest ms', 'blocking ms', 'longest frame gap ms', 'gaps > 50 ms', 'DOM updates/s', '"Stop" gone'],
    )}\n`,
  );
  for (const [label, js] of Object.entries(r.initialJs)) {
    if (js.renderError) process.stdout.write(`(initial JS, ${label}: the page never showed what was awaited: ${js.renderError})\n`);
  }
  for (const [label, s] of Object.entries(r.streams)) if (s.error) process.stdout.write(`(stream, ${label}: not measured: ${s.error})\n`);
  if (!Number.isFinite(l.loads[0]?.readyMs)) process.stdout.write('(the long conversation never became ready: no enabled "Message" box with the last message in view within 10 s)\n');
  process.stdout.write(
    '\nready: the textbox "Message" enabled and the last message inside the viewport (checked once per animation frame).\n' +
      `idle: the end of the last long task before ${QUIET_MS} ms without one, and not before ready. input delay: Event Timing's\n` +
      'first-input delay of a key pressed as soon as ready was seen. Long tasks: PerformanceObserver "longtask" (> 50 ms).\n' +
      'last API response before ready: when the last /v1 answer the page received before it was ready ended (Resource\n' +
      'Timing); ready minus that is the time the page itself took after its data had arrived.\n',
  );
}

// ---------- main ----------

async function main() {
  const unhookSignals = abortOnSignals('bench:web', deadline);
  const startedAt = new Date();
  const loadAverageAtStart = loadavg().map((v) => Number(v.toFixed(2)));
  let mcp;
  let system;
  let launched;
  try {
    log(`${machineLine()}; starting the system`);
    mcp = await startMcpServer();
    system = await startSystem({ label: 'bench-web', readyTimeoutMs: 60_000, env: { HARNESS_RATE_LIMIT_MESSAGES: 'off' } });
    launched = await launchBrowser();
    const { browser, context, page } = launched;
    const gw = system.gatewayUrl;

    log('initial JavaScript of the sign-in page');
    const initialJs = {};
    initialJs['sign-in page'] = await initialJavaScript(browser, `${gw}/`, (p) => p.getByRole('button', { name: 'Sign in with Dev', exact: true }).waitFor({ timeout: 15_000 }));

    log('signing in as a person');
    const me = await signInAsPerson(page, gw, 'bench');
    const call = apiAs(gw, await system.token(me.id, '2h'));
    const session = await context.storageState();
    initialJs['home, signed in'] = await initialJavaScript(
      browser,
      `${gw}/`,
      (p) => p.getByRole('navigation', { name: 'Conversations', exact: true }).waitFor({ state: 'attached', timeout: 15_000 }),
      session,
    );

    const harness = await call('POST', '/v1/harnesses', {
      name: 'Bench', model: 'sim/echo', systemPrompt: 'You are a benchmark.', mcpServers: [{ name: 'test', url: mcp.url }],
    });
    log(`seeding a conversation of ${opts.messages} messages through the API`);
    const seeded = await seedLongConversation(call, harness.id, opts.messages);
    initialJs['conversation'] = await initialJavaScript(browser, `${gw}/c/${seeded.id}`, (p) => p.getByRole('textbox', { name: 'Message', exact: true }).waitFor({ timeout: 15_000 }), session);

    log(`loading the ${opts.messages}-message conversation ${opts.loads} time(s)`);
    const loads = [];
    for (let k = 0; k < opts.loads; k++) {
      deadline.check();
      loads.push(await loadConversation(context, gw, seeded.id, k === 0));
      if (!Number.isFinite(loads[0].readyMs)) break; // never ready: once is enough to say so
    }

    log(`streaming ${opts.tokens} tokens at ${opts.rate}/s in a new conversation`);
    const streams = {};
    const fresh = await call('POST', '/v1/conversations', { harnessId: harness.id, title: 'Streaming' });
    streams['new conversation'] = await measureStream(context, gw, call, fresh.id, 'stream-new-conversation').catch(streamFailed);
    log(`streaming ${opts.tokens} tokens at ${opts.rate}/s at the end of the ${opts.messages}-message conversation`);
    streams[`after ${opts.messages} messages`] = await measureStream(context, gw, call, seeded.id, 'stream-long-conversation').catch(streamFailed);

    const report = {
      benchmark: 'web',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...opts, outDir: relative(repoRoot, opts.outDir) || '.' },
      environment: {
        ...baseEnvironment(),
        machine: machineLine(),
        chromium: browser.version(),
        loadAverageAtStart,
        loadAverageAtEnd: loadavg().map((v) => Number(v.toFixed(2))),
      },
      budgets: BUDGETS,
      initialJs,
      allJs: allJavaScript(),
      longConversation: {
        messages: opts.messages,
        toolCallAnswers: Math.ceil((opts.messages / 2 - 1) / 2),
        seedMs: seeded.seedMs,
        loads,
        names: loads[0]?.names ?? null,
        readyMedianMs: median(loads.map((x) => x.readyMs)),
        idleMedianMs: median(loads.map((x) => x.idleMs)),
        inputDelayMedianMs: median(loads.map((x) => x.inputDelayMs)),
      },
      streams,
    };
    printReport(report);
    const nonFiniteAsNull = (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    const file = writeResults(opts.outDir, 'web', startedAt, report, nonFiniteAsNull);
    log(`results written to ${relative(process.cwd(), file)}`);
  } finally {
    await launched?.close().catch(() => undefined);
    await system?.stop().catch((err) => process.stderr.write(`[bench:web] stopping the system failed: ${err?.message ?? err}\n`));
    await mcp?.close().catch(() => undefined);
    unhookSignals();
  }
}

runMain('bench:web', main, deadline);
