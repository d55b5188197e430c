import { BadRequestException, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { decodeCursor, DomainError, encodeCursor, SendMessageBody } from '@harness/contracts';
import { toHttpError } from '../../src/http/error-mapping.js';
import { ZodPipe } from '../../src/http/zod.pipe.js';

describe('error mapping', () => {
  it('maps domain errors by their code, with details', () => {
    expect(toHttpError(new DomainError('not_found', 'harness not found', { field: 'harnessId' }))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'harness not found', details: { field: 'harnessId' } } },
      unexpected: false,
    });
    expect(toHttpError(new DomainError('run_active', 'busy')).status).toBe(409);
    expect(toHttpError(new DomainError('payload_too_large', 'big')).status).toBe(413);
    expect(toHttpError(new DomainError('service_unavailable', 'down')).status).toBe(503);
  });

  it('maps Nest HTTP exceptions (unknown route → not_found)', () => {
    expect(toHttpError(new NotFoundException('Cannot GET /x'))).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'not found' } }, unexpected: false });
    expect(toHttpError(new BadRequestException('bad')).body.error.code).toBe('validation_failed');
  });

  it('hides everything about unexpected errors', () => {
    const e = toHttpError(new Error('connection to 10.0.0.5:5432 refused\n    at Socket.connect (net.js:1)'));
    expect(e).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } }, unexpected: true });
    expect(toHttpError(new DomainError('internal', 'secret detail')).body.error.message).toBe('internal error');
    expect(toHttpError('a string').status).toBe(500);
  });

  it('maps a ZodError to validation_failed', () => {
    const r = z.object({ a: z.string() }).safeParse({ a: 1 });
    expect(toHttpError(r.error).body.error).toMatchObject({ code: 'validation_failed', details: { issues: [{ path: 'a', message: expect.any(String) }] } });
  });
});

describe('ZodPipe', () => {
  it('returns the parsed value', () => {
    expect(new ZodPipe(SendMessageBody).transform({ content: 'hi' })).toEqual({ content: 'hi' });
  });

  it('throws validation_failed naming the field, with every issue', () => {
    const pipe = new ZodPipe(z.object({ content: z.string().min(1, 'content must not be empty'), n: z.number() }).strict());
    try {
      pipe.transform({ content: '', n: 'x' });
      throw new Error('did not throw');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      const e = err as DomainError;
      expect(e.code).toBe('validation_failed');
      expect(e.message).toBe('content must not be empty');
      expect(e.details).toEqual({ issues: [{ path: 'content', message: 'content must not be empty' }, { path: 'n', message: expect.any(String) }] });
    }
    expect(() => pipe.transform(undefined)).toThrow(/^body: /);
    expect(() => new ZodPipe(z.object({ n: z.number() })).transform({ n: 'x' })).toThrow(/^n: /);
  });
});

describe('cursor', () => {
  it('round-trips (createdAt, id) as opaque base64url', () => {
    const c = { createdAt: new Date('2026-11-27T10:00:00.123Z'), id: '0b5f4ac4-6c1b-4d43-9f8f-3bb2f1a0f6a1' };
    const encoded = encodeCursor(c);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(c);
  });

  it('refuses anything it did not make', () => {
    for (const bad of ['', 'garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["2026-01-01T00:00:00Z","not-a-uuid"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });
});
