import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { getFreePort, waitFor } from '@harness/testing';

export interface ChildServer {
  port: number;
  /** Every line the process wrote (stdout and stderr), in arrival order. */
  output: string[];
  readonly exitCode: number | null;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Runs `node <script> ...args` with env PORT=<a free port> and waits until the port accepts connections (the process
 * exiting first is an error with its output).
 */
export async function startChildServer(script: string, args: string[], timeoutMs = 20_000): Promise<ChildServer> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => output.push(line));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
        return canConnect(port);
      },
      { timeoutMs, intervalMs: 50, description: `${script} ${args.join(' ')} to listen on port ${port}` },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.slice(-30).join('\n')}`, { cause: err });
  }
  return {
    port,
    output,
    get exitCode() {
      return child.exitCode;
    },
    stop,
  };
}
