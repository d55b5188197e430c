import { checkRequestedSchema, elicitationDefaults, ELICITATION_LIMITS, validateElicitationContent, type ElicitationForm } from '../../src/elicitation-schema.js';

const form = (schema: unknown): ElicitationForm => {
  const check = checkRequestedSchema(schema);
  if (!check.ok) throw new Error(check.reason);
  return check.form;
};

const askSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 1, maxLength: 20, default: 'Ada' },
    email: { type: 'string', format: 'email' },
    color: { type: 'string', enum: ['red', 'green'], enumNames: ['Red', 'Green'], default: 'green' },
    size: { type: 'string', oneOf: [{ const: 's', title: 'Small' }, { const: 'l', title: 'Large' }] },
    toppings: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, maxItems: 2, default: ['a'] },
    count: { type: 'integer', minimum: 1, maximum: 5, default: 2 },
    ratio: { type: 'number', default: 0.5 },
    agree: { type: 'boolean', default: true },
  },
  required: ['name', 'count'],
};

describe('checkRequestedSchema (MCP restricted form schema)', () => {
  it('accepts every primitive field kind and reports the defaults', () => {
    const f = form(askSchema);
    expect([...f.fields.keys()]).toHaveLength(8);
    expect(f.required).toEqual(['name', 'count']);
    expect(elicitationDefaults(f)).toEqual({ name: 'Ada', color: 'green', toppings: ['a'], count: 2, ratio: 0.5, agree: true });
  });

  it.each([
    ['not an object schema', { type: 'array' }, /type: "object"/],
    ['nested objects', { type: 'object', properties: { a: { type: 'object', properties: {} } } }, /unsupported type/],
    ['unknown keywords', { type: 'object', properties: { a: { type: 'string', pattern: '(a+)+$' } } }, /"pattern"/],
    ['$ref', { type: 'object', properties: { a: { $ref: '#/x' } } }, /unsupported type/],
    ['top-level extras', { type: 'object', properties: {}, additionalProperties: true }, /"additionalProperties"/],
    ['a reserved field name', JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'), /not allowed/],
    ['an odd field name', { type: 'object', properties: { 'a b': { type: 'string' } } }, /not allowed/],
    ['too many fields', { type: 'object', properties: Object.fromEntries(Array.from({ length: ELICITATION_LIMITS.maxProperties + 1 }, (_, i) => [`f${i}`, { type: 'boolean' }])) }, /more than/],
    ['a huge schema', { type: 'object', properties: { a: { type: 'string', description: 'x'.repeat(ELICITATION_LIMITS.maxSchemaBytes) } } }, /larger than/],
    ['a default outside the enum', { type: 'object', properties: { a: { type: 'string', enum: ['x'], default: 'y' } } }, /default/],
    ['required naming no field', { type: 'object', properties: {}, required: ['ghost'] }, /required/],
    ['a non-finite bound', { type: 'object', properties: { a: { type: 'number', minimum: 'low' } } }, /finite/],
    ['an unknown format', { type: 'object', properties: { a: { type: 'string', format: 'regex' } } }, /format/],
  ])('refuses %s', (_, schema, reason) => {
    const check = checkRequestedSchema(schema);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic.properties = cyclic;
    for (const odd of [null, undefined, 42, 'schema', [], cyclic, { type: 'object', properties: { a: null } }]) {
      expect(checkRequestedSchema(odd).ok).toBe(false);
    }
  });
});

describe('validateElicitationContent', () => {
  const f = form(askSchema);

  it('accepts a valid answer', () => {
    const content = { name: 'Grace', email: 'g@example.com', color: 'red', size: 'l', toppings: ['b', 'c'], count: 5, ratio: 1.5, agree: false };
    expect(validateElicitationContent(f, content)).toEqual({ ok: true, content });
  });

  it.each([
    [{ count: 2 }, 'name', /required/],
    [{ name: 'A', count: 9 }, 'count', /at most 5/],
    [{ name: 'A', count: 2.5 }, 'count', /integer/],
    [{ name: '', count: 1 }, 'name', /at least 1/],
    [{ name: 'A', count: 1, email: 'nope' }, 'email', /email/],
    [{ name: 'A', count: 1, color: 'blue' }, 'color', /one of/],
    [{ name: 'A', count: 1, toppings: ['a', 'b', 'c'] }, 'toppings', /at most 2/],
    [{ name: 'A', count: 1, toppings: ['z'] }, 'toppings', /offered values/],
    [{ name: 'A', count: 1, agree: 'yes' }, 'agree', /true or false/],
    [{ name: 'A', count: 1, extra: 1 }, 'extra', /not a field/],
    [{ name: 7, count: 1 }, 'name', /string/],
  ])('refuses %j, naming %s', (content, field, message) => {
    const r = validateElicitationContent(f, content);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message).toMatch(message);
    }
  });

  it('refuses content that is not an object', () => {
    expect(validateElicitationContent(f, ['a'])).toEqual({ ok: false, field: null, message: 'content must be an object' });
  });
});
