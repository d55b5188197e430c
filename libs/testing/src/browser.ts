import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { repoRoot } from './paths.js';

/** Debian's `chromium` package; test tools that download their own browser cannot work on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const screenshotsDir: string = join(repoRoot, '.harness', 'screenshots');

/**
 * The flags the machines need: no sandbox (tests run as root), no GPU, and no background traffic — without
 * `--disable-background-networking` and friends Chromium keeps dialling hosts the closed network refuses.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchBrowserOptions {
  /** Default /usr/bin/chromium. */
  executablePath?: string;
  /** How long Chromium may take to start. Default 30 s. */
  timeoutMs?: number;
}

export interface LaunchedBrowser {
  browser: Browser;
  /** A fresh context (no cookies, no storage); `browser.newContext()` makes more, e.g. a second person. */
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export class ChromiumMissingError extends Error {
  constructor(path: string) {
    super(
      `Chromium is not installed at ${path}: browser tests need Debian's chromium package. ` +
        'Install it as .ci/run does: apt-get update && apt-get install -y --no-install-recommends chromium (as root or with sudo).',
    );
    this.name = 'ChromiumMissingError';
  }
}

/**
 * Starts Debian's Chromium headless through playwright-core. Each launch gets a new, empty profile (Playwright makes
 * a temporary --user-data-dir and removes it on close). Throws `ChromiumMissingError` when the browser is absent:
 * browser tests fail loudly rather than skip.
 */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<LaunchedBrowser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) throw new ChromiumMissingError(executablePath);
  // Loaded here, not at the top: most tests import @harness/testing without wanting a browser.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: options.timeoutMs ?? 30_000,
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    return { browser, context, page, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

function fileNameFor(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'page';
  return `${safe}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
}

/** A full-page PNG in .harness/screenshots/; returns its path. */
export async function takeScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, fileNameFor(name));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Runs `fn`; when it throws, saves a screenshot of `page` first and names it in the rethrown error's message, so a
 * failed browser test leaves a picture of what the browser showed.
 */
export async function withScreenshotOnFailure<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    let where: string;
    try {
      where = `screenshot: ${await takeScreenshot(page, `${name}-failure`)}`;
    } catch (shotError) {
      where = `no screenshot (${(shotError as Error).message})`;
    }
    if (e instanceof Error) {
      e.message = `${e.message}\n(${where}; page ${page.url()})`;
      throw e;
    }
    throw new Error(`${String(e)}\n(${where})`, { cause: e });
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

let axeSource: Promise<string> | undefined;
function loadAxeSource(): Promise<string> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core (every rule but the experimental ones: WCAG A/AA and best practices) on the page as it is now.
 * axe is evaluated through the DevTools protocol, so a page's strict CSP (no script) does not stop it.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(await loadAxeSource());
  return page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

/** Throws, listing every violation with its elements, unless axe finds none on the page. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length === 0) return;
  const lines = violations.flatMap((v) => [
    `- ${v.id} (${v.impact ?? 'n/a'}): ${v.help} ${v.helpUrl}`,
    ...v.nodes.map((n) => `    ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`),
  ]);
  throw new Error(`axe found ${violations.length} accessibility violation(s) on ${page.url()}:\n${lines.join('\n')}`);
}

/**
 * With the app's sign-in page open in `page`, signs `username` in the way a person does: "Sign in with Dev", then the
 * dev IdP's "Username" and "Sign in" (skipped when the IdP still has a session for this browser), and waits until the
 * app is back at `returnTo` (path and query) on the gateway.
 */
export async function signInWithDev(page: Page, gatewayUrl: string, username: string, returnTo = '/'): Promise<void> {
  const gateway = new URL(gatewayUrl).origin;
  const back = (u: URL) => u.origin === gateway && u.pathname + u.search === returnTo;
  await page.getByRole('button', { name: 'Sign in with Dev', exact: true }).click();
  await page.waitForURL((u) => back(u) || (u.origin !== gateway && u.pathname.startsWith('/interaction/')));
  if (new URL(page.url()).origin !== gateway) {
    await page.getByRole('textbox', { name: 'Username', exact: true }).fill(username);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  await page.waitForURL(back);
}
