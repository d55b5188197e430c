import { startSimulator } from './server.js';

/** CLI: `node dist/main.js` (env LLM_SIMULATOR_PORT, default 4010; LLM_SIMULATOR_HOST, default 127.0.0.1). */
async function main(): Promise<void> {
  const rawPort = process.env.LLM_SIMULATOR_PORT ?? '4010';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(JSON.stringify({ msg: 'invalid LLM_SIMULATOR_PORT', value: rawPort }));
    process.exit(1);
  }
  const host = process.env.LLM_SIMULATOR_HOST ?? '127.0.0.1';
  const sim = await startSimulator({ port, host });
  console.log(JSON.stringify({ msg: 'llm simulator listening', url: sim.url }));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => {
        console.log(JSON.stringify({ msg: 'llm simulator stopped', signal }));
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(JSON.stringify({ msg: 'llm simulator failed to start', error: (e as Error)?.message ?? String(e) }));
  process.exit(1);
});
