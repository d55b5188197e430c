import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { getFreePort, waitFor } from '@harness/testing';

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real nats-server of the test's own, on a free port: the command and health subjects are fixed names, so a test that
 * answers them (or checks that nobody does) must not share the broker with services other tests may be running.
 */
export async function startPrivateNats(binary = '/usr/sbin/nats-server'): Promise<PrivateNats> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = tcpConnect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    { timeoutMs: 10_000, intervalMs: 25, description: `nats-server on port ${port}` },
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
