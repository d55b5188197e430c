/**
 * MCP's restricted form schema for elicitation (`requestedSchema`): a flat object of primitive fields. Pure functions:
 * the broker checks a server's schema before it reaches anyone, and checks a user's answer against it.
 */

export const ELICITATION_LIMITS = {
  /** The requested schema as JSON. */
  maxSchemaBytes: 16 * 1024,
  maxProperties: 32,
  maxEnumValues: 100,
  /** A title, description, enum value or string default. */
  maxTextChars: 1_000,
  maxMessageChars: 4_000,
  /** One string answered by the user. */
  maxAnswerChars: 10_000,
} as const;

export type ElicitationValue = string | number | boolean | string[];
export type ElicitationContent = Record<string, ElicitationValue>;

export type ElicitationField =
  | { kind: 'string'; minLength?: number; maxLength?: number; format?: StringFormat; default?: string }
  | { kind: 'enum'; values: string[]; default?: string }
  | { kind: 'multi-enum'; values: string[]; minItems?: number; maxItems?: number; default?: string[] }
  | { kind: 'number'; integer: boolean; minimum?: number; maximum?: number; default?: number }
  | { kind: 'boolean'; default?: boolean };

export interface ElicitationForm {
  fields: Map<string, ElicitationField>;
  required: string[];
}

export type SchemaCheck = { ok: true; form: ElicitationForm } | { ok: false; reason: string };
export type ContentCheck = { ok: true; content: ElicitationContent } | { ok: false; field: string | null; message: string };

const STRING_FORMATS = ['email', 'uri', 'date', 'date-time'] as const;
type StringFormat = (typeof STRING_FORMATS)[number];

const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const TOP_KEYS = new Set(['type', 'properties', 'required', '$schema', 'title', 'description']);
const COMMON_KEYS = ['type', 'title', 'description', 'default'];
const KEYS_BY_TYPE: Record<string, Set<string>> = {
  string: new Set([...COMMON_KEYS, 'minLength', 'maxLength', 'format', 'enum', 'enumNames', 'oneOf']),
  number: new Set([...COMMON_KEYS, 'minimum', 'maximum']),
  integer: new Set([...COMMON_KEYS, 'minimum', 'maximum']),
  boolean: new Set(COMMON_KEYS),
  array: new Set([...COMMON_KEYS, 'items', 'minItems', 'maxItems']),
};

class SchemaRefused extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const refuse = (reason: string): never => {
  throw new SchemaRefused(reason);
};

function text(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > ELICITATION_LIMITS.maxTextChars) refuse(`${what} must be a string of at most ${ELICITATION_LIMITS.maxTextChars} characters`);
  return v as string;
}

function count(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000_000) refuse(`${what} must be a non-negative integer`);
  return v as number;
}

function finite(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(`${what} must be a finite number`);
  return v as number;
}

function enumValues(values: unknown, what: string): string[] {
  if (!Array.isArray(values) || values.length === 0 || values.length > ELICITATION_LIMITS.maxEnumValues) {
    refuse(`${what} must list 1 to ${ELICITATION_LIMITS.maxEnumValues} values`);
  }
  const out = (values as unknown[]).map((v) => text(v, `${what} values`) ?? refuse(`${what} values must be strings`));
  if (new Set(out).size !== out.length) refuse(`${what} values must be unique`);
  return out;
}

/** `oneOf`/`anyOf` of `{const, title}`: the titled form of an enum (2025-11-25). */
function titledValues(options: unknown, what: string): string[] {
  if (!Array.isArray(options)) refuse(`${what} must be an array`);
  const consts = (options as unknown[]).map((o) => {
    if (!isRecord(o) || Object.keys(o).some((k) => k !== 'const' && k !== 'title')) refuse(`${what} entries must be {const, title}`);
    text((o as Record<string, unknown>).title, `${what} title`);
    return (o as Record<string, unknown>).const;
  });
  return enumValues(consts, what);
}

function checkField(name: string, p: unknown): ElicitationField {
  if (!isRecord(p)) return refuse(`field "${name}" must be an object`);
  const type = p.type;
  const allowed = typeof type === 'string' ? KEYS_BY_TYPE[type] : undefined;
  if (!allowed) return refuse(`field "${name}" has an unsupported type ${JSON.stringify(type)}`);
  const extra = Object.keys(p).find((k) => !allowed.has(k));
  if (extra) refuse(`field "${name}" uses "${extra}", which the restricted form schema does not allow`);
  text(p.title, `field "${name}" title`);
  text(p.description, `field "${name}" description`);
  const d = p.default;
  switch (type) {
    case 'string': {
      if (p.enum !== undefined || p.oneOf !== undefined) {
        if (p.enum !== undefined && p.oneOf !== undefined) refuse(`field "${name}" has both enum and oneOf`);
        const values = p.enum !== undefined ? enumValues(p.enum, `field "${name}" enum`) : titledValues(p.oneOf, `field "${name}" oneOf`);
        if (p.enumNames !== undefined && (!Array.isArray(p.enumNames) || p.enumNames.length !== values.length)) refuse(`field "${name}" enumNames must match its enum`);
        if (Array.isArray(p.enumNames)) p.enumNames.forEach((n) => text(n, `field "${name}" enumNames`));
        if (d !== undefined && (typeof d !== 'string' || !values.includes(d))) refuse(`field "${name}" default is not one of its values`);
        return { kind: 'enum', values, ...(d !== undefined ? { default: d as string } : {}) };
      }
      if (p.enumNames !== undefined) refuse(`field "${name}" has enumNames without enum`);
      const minLength = count(p.minLength, `field "${name}" minLength`);
      const maxLength = count(p.maxLength, `field "${name}" maxLength`);
      if (p.format !== undefined && !(STRING_FORMATS as readonly unknown[]).includes(p.format)) refuse(`field "${name}" has an unsupported format`);
      const def = text(d, `field "${name}" default`);
      return {
        kind: 'string', ...(minLength !== undefined ? { minLength } : {}), ...(maxLength !== undefined ? { maxLength } : {}),
        ...(p.format !== undefined ? { format: p.format as StringFormat } : {}), ...(def !== undefined ? { default: def } : {}),
      };
    }
    case 'number':
    case 'integer': {
      const minimum = finite(p.minimum, `field "${name}" minimum`);
      const maximum = finite(p.maximum, `field "${name}" maximum`);
      const def = finite(d, `field "${name}" default`);
      if (def !== undefined && type === 'integer' && !Number.isInteger(def)) refuse(`field "${name}" default must be an integer`);
      return {
        kind: 'number', integer: type === 'integer', ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}),
        ...(def !== undefined ? { default: def } : {}),
      };
    }
    case 'boolean':
      if (d !== undefined && typeof d !== 'boolean') refuse(`field "${name}" default must be a boolean`);
      return { kind: 'boolean', ...(d !== undefined ? { default: d as boolean } : {}) };
    default: {
      const items = p.items;
      if (!isRecord(items)) return refuse(`field "${name}" items must be an object`);
      let values: string[];
      if (items.type === 'string' && Array.isArray(items.enum) && Object.keys(items).every((k) => k === 'type' || k === 'enum')) {
        values = enumValues(items.enum, `field "${name}" items enum`);
      } else if (Array.isArray(items.anyOf) && Object.keys(items).every((k) => k === 'anyOf')) {
        values = titledValues(items.anyOf, `field "${name}" items anyOf`);
      } else {
        return refuse(`field "${name}" must be an array of enum strings`);
      }
      const minItems = count(p.minItems, `field "${name}" minItems`);
      const maxItems = count(p.maxItems, `field "${name}" maxItems`);
      if (d !== undefined && (!Array.isArray(d) || d.some((v) => typeof v !== 'string' || !values.includes(v)))) refuse(`field "${name}" default must list its values`);
      return {
        kind: 'multi-enum', values, ...(minItems !== undefined ? { minItems } : {}), ...(maxItems !== undefined ? { maxItems } : {}),
        ...(d !== undefined ? { default: d as string[] } : {}),
      };
    }
  }
}

/**
 * Accepts only MCP's restricted form schema, within bounds (size, number of fields, enum sizes, text lengths, no
 * unknown keywords, no nesting). Anything else is refused with a reason, never thrown.
 */
export function checkRequestedSchema(schema: unknown): SchemaCheck {
  try {
    let size: number;
    try {
      size = JSON.stringify(schema)?.length ?? 0;
    } catch {
      return { ok: false, reason: 'the schema is not JSON' };
    }
    if (size > ELICITATION_LIMITS.maxSchemaBytes) return { ok: false, reason: `the schema is larger than ${ELICITATION_LIMITS.maxSchemaBytes} bytes` };
    if (!isRecord(schema) || schema.type !== 'object') return { ok: false, reason: 'the schema must be {type: "object", properties}' };
    const extra = Object.keys(schema).find((k) => !TOP_KEYS.has(k));
    if (extra) return { ok: false, reason: `the schema uses "${extra}", which the restricted form schema does not allow` };
    const properties = schema.properties;
    if (!isRecord(properties)) return { ok: false, reason: 'the schema has no properties object' };
    const names = Object.keys(properties);
    if (names.length > ELICITATION_LIMITS.maxProperties) return { ok: false, reason: `the schema has more than ${ELICITATION_LIMITS.maxProperties} fields` };
    const fields = new Map<string, ElicitationField>();
    for (const name of names) {
      if (!FIELD_NAME.test(name) || RESERVED_NAMES.has(name)) return { ok: false, reason: `the field name ${JSON.stringify(name.slice(0, 80))} is not allowed` };
      fields.set(name, checkField(name, properties[name]));
    }
    const required = schema.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string' || !fields.has(r))) {
      return { ok: false, reason: 'required must list fields of the schema' };
    }
    return { ok: true, form: { fields, required: [...new Set(required as string[])] } };
  } catch (err) {
    if (err instanceof SchemaRefused) return { ok: false, reason: err.message };
    throw err;
  }
}

function checkFormat(format: StringFormat, v: string): boolean {
  switch (format) {
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);
    case 'uri':
      return URL.canParse(v) && /^[a-z][a-z0-9+.-]*:/i.test(v);
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v));
    default:
      return /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v));
  }
}

/** Why `value` does not fit `field`, or null when it does. */
function valueProblem(field: ElicitationField, value: unknown): string | null {
  switch (field.kind) {
    case 'string': {
      if (typeof value !== 'string') return 'must be a string';
      if (value.length > ELICITATION_LIMITS.maxAnswerChars) return `must be at most ${ELICITATION_LIMITS.maxAnswerChars} characters`;
      if (field.minLength !== undefined && value.length < field.minLength) return `must be at least ${field.minLength} characters`;
      if (field.maxLength !== undefined && value.length > field.maxLength) return `must be at most ${field.maxLength} characters`;
      if (field.format && !checkFormat(field.format, value)) return `must be a valid ${field.format}`;
      return null;
    }
    case 'enum':
      return typeof value === 'string' && field.values.includes(value) ? null : `must be one of ${field.values.map((v) => JSON.stringify(v)).join(', ')}`.slice(0, 300);
    case 'multi-enum': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !field.values.includes(v))) return 'must be a list of the offered values';
      if (new Set(value).size !== value.length) return 'must not repeat a value';
      if (field.minItems !== undefined && value.length < field.minItems) return `must have at least ${field.minItems} values`;
      if (field.maxItems !== undefined && value.length > field.maxItems) return `must have at most ${field.maxItems} values`;
      return null;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (field.integer && !Number.isInteger(value)) return 'must be an integer';
      if (field.minimum !== undefined && value < field.minimum) return `must be at least ${field.minimum}`;
      if (field.maximum !== undefined && value > field.maximum) return `must be at most ${field.maximum}`;
      return null;
    }
    default:
      return typeof value === 'boolean' ? null : 'must be true or false';
  }
}

/**
 * Checks an accepted answer against the (already checked) form: only its fields, each of its type and bounds, every
 * required one present. The first problem names its field.
 */
export function validateElicitationContent(form: ElicitationForm, content: unknown): ContentCheck {
  if (!isRecord(content)) return { ok: false, field: null, message: 'content must be an object' };
  const out: ElicitationContent = {};
  for (const [name, value] of Object.entries(content)) {
    const field = form.fields.get(name);
    if (!field) return { ok: false, field: name, message: `${name} is not a field of the form` };
    const problem = valueProblem(field, value);
    if (problem) return { ok: false, field: name, message: `${name} ${problem}` };
    out[name] = value as ElicitationValue;
  }
  const missing = form.required.find((name) => !(name in out));
  if (missing) return { ok: false, field: missing, message: `${missing} is required` };
  return { ok: true, content: out };
}

/** The form's default values: what a user accepting the form unchanged answers (SEP-1034). */
export function elicitationDefaults(form: ElicitationForm): ElicitationContent {
  const out: ElicitationContent = {};
  for (const [name, field] of form.fields) if (field.default !== undefined) out[name] = field.default;
  return out;
}
