import { ChromiumMissingError, CHROMIUM_ARGS, launchBrowser } from '../../src/index.js';

test('a missing Chromium is a clear error naming the install step, never a silent skip', async () => {
  const launching = launchBrowser({ executablePath: '/nonexistent/chromium' });
  await expect(launching).rejects.toThrow(ChromiumMissingError);
  await expect(launching).rejects.toThrow(/not installed at \/nonexistent\/chromium.*apt-get install -y --no-install-recommends chromium/);
});

test('the launch flags include the ones this machine needs (no sandbox as root, no background traffic)', () => {
  for (const flag of ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']) {
    expect(CHROMIUM_ARGS).toContain(flag);
  }
});
