import { loadConfig } from '../../src/index.js';

const base = { NODE_ENV: 'test', HARNESS_JWT_SECRET: 'x'.repeat(32), HARNESS_ENCRYPTION_KEY: 'a'.repeat(64) } as const;

describe('browser session settings (the auth service)', () => {
  test('defaults: 30 days absolute, 7 days idle, 50 sessions per user', () => {
    expect(loadConfig({ ...base }, 'auth').sessions).toEqual({ maxAgeSeconds: 30 * 86_400, idleSeconds: 7 * 86_400, maxPerUser: 50 });
  });

  test('set values are read', () => {
    const c = loadConfig({ ...base, HARNESS_SESSION_MAX_AGE_SECONDS: '3600', HARNESS_SESSION_IDLE_SECONDS: '600', HARNESS_SESSIONS_MAX_PER_USER: '5' }, 'auth');
    expect(c.sessions).toEqual({ maxAgeSeconds: 3600, idleSeconds: 600, maxPerUser: 5 });
  });

  test('out-of-range or malformed values stop the service, naming the variable', () => {
    for (const [name, value] of [
      ['HARNESS_SESSION_MAX_AGE_SECONDS', '59'], ['HARNESS_SESSION_MAX_AGE_SECONDS', 'soon'], ['HARNESS_SESSION_MAX_AGE_SECONDS', String(401 * 86_400)],
      ['HARNESS_SESSION_IDLE_SECONDS', '0'], ['HARNESS_SESSION_IDLE_SECONDS', '1.5'],
      ['HARNESS_SESSIONS_MAX_PER_USER', '0'], ['HARNESS_SESSIONS_MAX_PER_USER', '1001'],
    ] as const) {
      expect(() => loadConfig({ ...base, [name]: value }, 'auth')).toThrow(name);
    }
  });

  test('an idle timeout longer than the absolute lifetime is the lifetime (e.g. only the lifetime set, shorter than the idle default)', () => {
    expect(loadConfig({ ...base, HARNESS_SESSION_MAX_AGE_SECONDS: '3600' }, 'auth').sessions).toMatchObject({ maxAgeSeconds: 3600, idleSeconds: 3600 });
  });
});
