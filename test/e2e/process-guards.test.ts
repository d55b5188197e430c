import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@harness/testing';

// What every service installs first (installProcessGuards): a throw in a callback nobody awaits — the way a live
// publish over the size limit used to stop the chat service — is logged, and the process keeps serving.

it('an uncaught exception and an unhandled rejection are logged and contained; the process keeps running', async () => {
  const logging = join(repoRoot, 'libs/logging/dist/index.js');
  const script = `
    const { createLogger, installProcessGuards } = await import(${JSON.stringify(logging)});
    const logger = createLogger('guarded', 'info');
    installProcessGuards(logger);
    setImmediate(() => { throw new Error('thrown in a callback'); });
    Promise.reject(new Error('rejected with no handler'));
    setTimeout(() => { console.log(JSON.stringify({ msg: 'still serving' })); process.exit(0); }, 200);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; err?: { message: string } });
  expect(code).toBe(0);
  expect(lines.find((l) => l.msg.startsWith('uncaught exception'))?.err?.message).toBe('thrown in a callback');
  expect(lines.find((l) => l.msg === 'unhandled rejection')?.err?.message).toBe('rejected with no handler');
  expect(lines.at(-1)?.msg).toBe('still serving');
});
