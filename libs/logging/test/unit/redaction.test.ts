import { Writable } from 'node:stream';
import { createLogger, redactUrlQueries, withCorrelation } from '../../src/index.js';

/** A logger whose JSON lines are collected, parsed. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('test', 'info', false, sink), lines, raw: () => lines.join('\n') };
}

const SECRET = 'sekret-value-0123456789';

describe('log redaction', () => {
  it('redacts secret fields at any depth (four levels and more), in objects and arrays, and in child bindings', () => {
    const { logger, lines, raw } = capture();
    logger.info({ a: { b: { c: { d: { accessToken: SECRET, keep: 'visible' } } } } }, 'nested');
    logger.info({ list: [{ headers: { Authorization: `Bearer ${SECRET}`, 'x-api-key': 'fine' } }, { deeper: [{ refresh_token: SECRET }] }] }, 'arrays');
    logger.child({ request: { cookie: SECRET } }).warn({ clientSecret: SECRET, 'Client-Secret': SECRET, password: SECRET }, 'child');
    logger.error({ err: Object.assign(new Error('boom'), { config: { auth: { token: SECRET } } }) }, 'error object');
    expect(raw()).not.toContain(SECRET);
    const first = JSON.parse(lines[0]);
    expect(first.a.b.c.d).toEqual({ accessToken: '[redacted]', keep: 'visible' });
    expect(JSON.parse(lines[1]).list[0].headers).toEqual({ Authorization: '[redacted]', 'x-api-key': 'fine' });
    expect(JSON.parse(lines[2]).request.cookie).toBe('[redacted]');
  });

  it('redacts the Cross-App Access grants: subject_token and assertion (a token request body logged by mistake)', () => {
    const { raw } = ((c) => {
      c.logger.warn({ body: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: SECRET, subjectToken: SECRET } }, 'exchange');
      c.logger.warn({ request: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: SECRET } }, 'grant');
      return c;
    })(capture());
    expect(raw()).not.toContain(SECRET);
    expect(raw()).toContain('token-exchange');
  });

  it('keeps query parameter names of URLs but not their values, wherever the URL is', () => {
    const { logger, raw, lines } = capture();
    logger.warn({ serverUrl: `https://mcp.example.com/mcp?api_key=${SECRET}&team=ops`, nested: { note: `see https://x.test/a?code=${SECRET}#frag` } }, 'url');
    expect(raw()).not.toContain(SECRET);
    const rec = JSON.parse(lines[0]);
    expect(rec.serverUrl).toBe('https://mcp.example.com/mcp?api_key=[redacted]&team=[redacted]');
    expect(rec.nested.note).toBe('see https://x.test/a?code=[redacted]#frag');
    expect(redactUrlQueries('https://h.test/p')).toBe('https://h.test/p');
  });

  it('survives cycles and absurd depth, and keeps the correlation id', () => {
    const { logger, lines } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    withCorrelation('corr-1', () => logger.info({ cyclic, deep }, 'odd shapes'));
    const rec = JSON.parse(lines[0]);
    expect(rec.cyclic.self).toBe('[circular]');
    expect(JSON.stringify(rec)).not.toContain(SECRET);
    expect(rec.correlationId).toBe('corr-1');
  });
});
