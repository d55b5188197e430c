import * as fc from 'fast-check';

/**
 * Inputs for fuzzing the public API. Each part of a request has two kinds of values: odd but valid ones (what a real
 * client may legitimately send: any Unicode, emoji, bidi and control characters, limits reached exactly), which must get
 * through to the database and back; and hostile ones (wrong types, NUL, lone surrogates, limits passed, garbage bytes,
 * prototype-pollution keys, deep nesting), which must get a clear refusal.
 */

/** Odd but valid text: non-empty once trimmed, no NUL (which Postgres cannot store), at most `max` characters. */
export function oddText(max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 40) }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: Math.min(max, 40) }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('h', 'Ω≈ç√∫', '🙂👍🏽‍', '\u202eevil\u202c', 'a\u0001\u001f\u007fb', ' padded ', '<b>x</b>', "'; DROP TABLE harnesses; --", 'x\ud800y', '\u2028\u2029', '${x}{{y}}'),
      },
      { weight: 1, arbitrary: fc.constant('é'.repeat(max)) },
    )
    .map((s) => s.replaceAll('\u0000', ''))
    .filter((s) => s.trim().length > 0 && s.length <= max);
}

/** Strings that have broken servers before: NUL and other controls, lone surrogates, bidi marks, injections. */
const NASTY_CONSTANTS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f\u007f',
  '\r\n\r\nX-Injected: 1',
  '\ud800',
  'x\udfffy',
  '\u202e\u2028\u2029\ufeff',
  '%00',
  '%',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-1',
  '1e309',
  '0x10',
];

/** Strings of control characters only (each JSON-escaped into six bytes). */
const controlString = fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u0008', '\u001b', '\u001f', '\u007f', '\u0085', '\u2028', '\ufeff'), minLength: 1, maxLength: 40 });

/** A long string: past the limits of names (200), titles (500), URLs (2048), tokens (8192) and message content (100,000). */
const longString = fc
  .tuple(fc.constantFrom(201, 501, 2_049, 8_193, 100_001, 150_000), fc.constantFrom('x', 'é', '\u0000', '🙂'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_CONSTANTS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: controlString },
  { weight: 1, arbitrary: longString },
);

/** Objects whose keys are the prototype-pollution classics (own properties, as JSON.parse makes them). */
const pollutingObject = fc.constantFrom(
  JSON.parse('{"__proto__": {"polluted": "yes", "isAdmin": true}}') as unknown,
  JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}') as unknown,
  JSON.parse('{"__proto__": null, "toString": 1, "valueOf": "x", "hasOwnProperty": []}') as unknown,
);

/** Values of any JSON type, for a field that expects another. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, 5e-324, -0)) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: pollutingObject },
);

/** Keys a body must not have (strict bodies refuse them; loose ones must not be hurt by them). */
const extraKeys = fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'userId', 'admin', ''), fc.string({ maxLength: 10 })), junkValue, {
  minKeys: 1,
  maxKeys: 4,
});

/**
 * A hostile body made from a valid one: one or two of its fields (or of `keys`) swapped for garbage (or for a field's
 * own kind of bad value, `badValues`) or dropped, extra keys, the object in an array, or no object at all. Mostly one
 * mistake at a time, so the checks behind the first are reached too.
 */
export function hostileBody(valid: fc.Arbitrary<Record<string, unknown>>, keys: string[], badValues: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  const mutation = fc
    .constantFrom(...keys)
    .chain((key) => fc.tuple(fc.constant(key), fc.option(badValues[key] ? fc.oneof(junkValue, badValues[key]) : junkValue, { nil: undefined, freq: 4 })));
  const mutated = fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([body, mutations]) => {
    const out: Record<string, unknown> = { ...body };
    for (const [key, value] of mutations) {
      if (value === undefined) delete out[key];
      else out[key] = value;
    }
    return out;
  });
  return fc.oneof(
    { weight: 8, arbitrary: mutated },
    { weight: 2, arbitrary: fc.tuple(valid, extraKeys).map(([r, extra]) => Object.assign(Object.create(null) as object, r, extra)) },
    { weight: 1, arbitrary: valid.map((r) => [r]) },
    { weight: 2, arbitrary: junkValue },
  );
}

/** A request body as bytes, with the headers that describe it. */
export interface BodySpec {
  bytes: Buffer;
  contentType?: string;
  contentEncoding?: string;
  chunked: boolean;
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF8', 'APPLICATION/JSON', 'application/vnd.harness+json'];
const OTHER_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=latin1',
  'application/json; charset="utf-16"',
  'application/xml',
  'application/jsonx',
  ';;;',
  'application/json; charset=',
  '*/*',
];

/** Text no JSON parser accepts, or nearly JSON. */
const notJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', "{'a': 1}", '{"a": 1,}', 'NaN', 'undefined', '\ufeff{}', '{"a": "\u0000"', '<xml/>', 'a=1&b=2', '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
);

/** JSON nested far deeper than any real body (arrays or objects), as text. */
const deeplyNested = fc
  .tuple(fc.constantFrom(1_000, 10_000, 100_000), fc.boolean())
  .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

/** Bytes that are not UTF-8 (invalid sequences, UTF-16, random). */
const notUtf8 = fc.oneof(
  fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])),
  fc.constant(Buffer.from('{"name": "x"}', 'utf16le')),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
);

const withType = (bytes: fc.Arbitrary<Buffer>, types: string[]) => fc.record({ bytes, contentType: fc.constantFrom(...types), chunked: fc.boolean() }).map((b): BodySpec => b);
const jsonBytes = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');

/** A JSON body as a client should send it: a JSON content type (any accepted spelling), with a length or chunked. */
export const validEncoding = (value: unknown): fc.Arbitrary<BodySpec> => withType(fc.constant(jsonBytes(value)), JSON_TYPES);

/**
 * The same body sent wrong (another content type or encoding), or replaced by text that is not JSON, bytes that are not
 * UTF-8, absurdly deep JSON, a body over the 1 MiB limit, or an empty body.
 */
export function hostileEncoding(value: unknown): fc.Arbitrary<BodySpec> {
  const bytes = jsonBytes(value);
  return fc.oneof(
    { weight: 2, arbitrary: withType(fc.constant(bytes), OTHER_TYPES) },
    {
      weight: 1,
      arbitrary: fc
        .record({ contentEncoding: fc.constantFrom('gzip', 'br', 'deflate', 'identity, gzip', 'x-unknown'), chunked: fc.boolean() })
        .map((b): BodySpec => ({ ...b, bytes, contentType: 'application/json' })),
    },
    { weight: 1, arbitrary: fc.record({ bytes: fc.constant(bytes), chunked: fc.boolean() }).map((b): BodySpec => b) },
    { weight: 2, arbitrary: withType(notJson.map((t) => Buffer.from(t)), JSON_TYPES) },
    { weight: 1, arbitrary: withType(notUtf8, JSON_TYPES) },
    { weight: 1, arbitrary: withType(deeplyNested.map((t) => Buffer.from(t)), JSON_TYPES) },
    { weight: 1, arbitrary: withType(fc.constant(Buffer.alloc(1024 * 1024 + 10, 0x20)), JSON_TYPES) },
    { weight: 1, arbitrary: withType(fc.constant(Buffer.alloc(0)), [...JSON_TYPES, 'text/plain']) },
  );
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/**
 * Cursors shaped like the API's own (base64url JSON of a list's sort key) but forged: sort keys out of the range of the
 * columns behind them (year 0, a seq past a Postgres integer, ...) or of another list.
 */
const forgedCursor = fc
  .constantFrom<unknown>(
    ['0000-01-01T00:00:00.000Z', '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f'],
    ['9999-12-31T23:59:59.999Z', '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f'],
    ['2020-01-01T00:00:00.000Z', 'not-a-uuid'],
    ['seq', 9_007_199_254_740_991],
    ['seq', 2_147_483_648],
    ['seq', -1],
    ['seq', 1.5],
    ['pos', 2_147_483_647, '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f'],
    ['pos', -2_147_483_648, '5b0f3a2e-6c1d-4f7a-8e9b-0a1b2c3d4e5f'],
    ['name', 'a\u0000b'],
    ['name', '🙂'],
    [],
    null,
  )
  .map(cursorOf);

/** Hostile values for a query parameter: odd numbers, forged cursors, garbage, percent-encoding that does not decode. */
export const queryValue: fc.Arbitrary<string> = fc.oneof(
  forgedCursor,
  fc.constantFrom('1', '0', '-1', '200', '201', '500', '501', '1.5', '1e3', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '%205', '5%20', '+5', '', '9007199254740993', '99999999999999999999'),
  fc.integer().map(String),
  nastyString.filter((s) => s.length < 300).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))),
  fc.constantFrom('%zz', '%E0%A4%A', '%', '%00', '%ff', '%C0%AF', '+', '%2B', '&', '='),
);

/** A hostile raw query string over the given keys and others: repeated keys, brackets, keys without values. */
export function hostileQuery(keys: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(keys.length ? keys : ['q'])) },
    { weight: 1, arbitrary: fc.constantFrom(...keys.flatMap((k) => [`${k}[]`, `${k}[0]`, `${k}[a][b]`]), '__proto__[polluted]', 'constructor[prototype][x]', 'toString', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map(encodeURIComponent) },
  );
  const pair = fc.oneof({ weight: 6, arbitrary: fc.tuple(key, queryValue).map(([k, v]) => `${k}=${v}`) }, { weight: 1, arbitrary: key });
  return fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`);
}

/** Characters Node lets a client put in a header value: tab, printable ASCII and Latin-1. */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
);
/** Hostile header values (kept under Node's 16 KiB request head: past it Node itself answers 431). */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 60 }),
  fc.constantFrom('', ' ', '-1', '0', '1', '2147483647', '2147483648', '9999999999', '1e3', '0x1', 'NaN', ' 3 ', '3, 4', 'null'),
  fc.constantFrom(1_000, 4_000).map((n) => 'a'.repeat(n)),
);
