import { loadConfig } from '../../src/index.js';

// Everything else production requires, so only the NATS credentials are in question here.
const production = {
  NODE_ENV: 'production', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64), HARNESS_JOB_SIGNING_KEY: 'k'.repeat(32),
} as const;

describe('NATS credentials in the config', () => {
  test('production refuses to start without them, naming the variables', () => {
    expect(() => loadConfig({ ...production }, 'chat')).toThrow(/NATS_USER and NATS_PASSWORD are required in production/);
  });

  test('production takes them, or an explicit HARNESS_NATS_ALLOW_ANONYMOUS=true', () => {
    expect(loadConfig({ ...production, NATS_USER: 'chat', NATS_PASSWORD: 'pw' }, 'chat').nats).toEqual({ user: 'chat', password: 'pw' });
    expect(loadConfig({ ...production, HARNESS_NATS_ALLOW_ANONYMOUS: 'true' }, 'chat').nats).toBeUndefined();
  });

  test('one without the other is refused everywhere; neither is fine outside production', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', NATS_USER: 'chat' }, 'chat')).toThrow(/must be set together/);
    expect(() => loadConfig({ NODE_ENV: 'test', NATS_PASSWORD: 'pw' }, 'chat')).toThrow(/must be set together/);
    expect(loadConfig({ NODE_ENV: 'test', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64) }, 'chat').nats).toBeUndefined();
  });
});
