// MCP form elicitation: `requestedSchema` is a flat object of primitive properties. This maps it to form fields and
// the form's values back to the `content` the server asked for. Pure functions: no React here.

export type FieldKind = 'text' | 'email' | 'url' | 'date' | 'datetime' | 'number' | 'integer' | 'boolean' | 'select' | 'multiselect';

export interface FieldOption {
  value: string;
  label: string;
}

export interface Field {
  name: string;
  label: string;
  description?: string;
  required: boolean;
  kind: FieldKind;
  options?: FieldOption[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  /** The form's initial value: a string for inputs and selects, a boolean for a checkbox, a list for a multi-select. */
  initial: FieldValue;
}

export type FieldValue = string | boolean | string[];
export type FormValues = Record<string, FieldValue>;

interface PropertySchema {
  type?: string;
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  enumNames?: unknown[];
  oneOf?: { const?: unknown; title?: string }[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: { type?: string; enum?: unknown[]; enumNames?: unknown[]; anyOf?: { const?: unknown; title?: string }[]; oneOf?: { const?: unknown; title?: string }[] };
  default?: unknown;
}

/** At most this many fields are shown (a schema is meant to be a short form). */
const MAX_FIELDS = 50;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function optionsOf(p: PropertySchema): FieldOption[] | undefined {
  if (p.type === 'array') {
    const items = p.items ?? {};
    const titled = items.anyOf ?? items.oneOf;
    return optionsOf({ enum: items.enum, enumNames: items.enumNames, oneOf: titled });
  }
  if (Array.isArray(p.oneOf) && p.oneOf.length > 0) {
    return p.oneOf.filter((o) => o && o.const !== undefined).map((o) => ({ value: String(o.const), label: o.title ?? String(o.const) }));
  }
  if (Array.isArray(p.enum) && p.enum.length > 0) {
    return p.enum.map((v, i) => ({ value: String(v), label: str(p.enumNames?.[i]) ?? String(v) }));
  }
  return undefined;
}

function kindOf(p: PropertySchema, options: FieldOption[] | undefined): FieldKind {
  if (p.type === 'boolean') return 'boolean';
  if (p.type === 'array') return 'multiselect';
  if (p.type === 'number') return 'number';
  if (p.type === 'integer') return 'integer';
  if (options) return 'select';
  switch (p.format) {
    case 'email':
      return 'email';
    case 'uri':
      return 'url';
    case 'date':
      return 'date';
    case 'date-time':
      return 'datetime';
    default:
      return 'text';
  }
}

/** A date-time default as `datetime-local` wants it (local time, minutes). */
function toLocalDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function initialOf(p: PropertySchema, kind: FieldKind): FieldValue {
  if (kind === 'boolean') return p.default === true;
  if (kind === 'multiselect') return Array.isArray(p.default) ? p.default.map(String) : [];
  if (p.default === undefined || p.default === null) return '';
  if (kind === 'datetime') return toLocalDateTime(String(p.default));
  return String(p.default);
}

export function schemaToFields(schema: unknown): Field[] {
  const s = (schema ?? {}) as { properties?: Record<string, PropertySchema>; required?: unknown };
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
  const properties = s.properties && typeof s.properties === 'object' ? Object.entries(s.properties) : [];
  return properties.slice(0, MAX_FIELDS).map(([name, raw]) => {
    const p = (raw ?? {}) as PropertySchema;
    const options = optionsOf(p);
    const kind = kindOf(p, options);
    return {
      name,
      label: str(p.title) ?? name,
      description: str(p.description),
      required: required.has(name),
      kind,
      options,
      minLength: num(p.minLength),
      maxLength: num(p.maxLength),
      minimum: num(p.minimum),
      maximum: num(p.maximum),
      minItems: num(p.minItems),
      maxItems: num(p.maxItems),
      initial: initialOf(p, kind),
    };
  });
}

export function initialValues(fields: readonly Field[]): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.initial]));
}

/**
 * The `content` of an accept: numbers as numbers, date-times in ISO, empty optional fields left out. Field errors
 * for what the browser does not check itself (a required field left empty, a number that is not one).
 */
export function valuesToContent(fields: readonly Field[], values: FormValues): { content: Record<string, unknown>; errors: Record<string, string> } {
  const content: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === 'boolean') {
      content[f.name] = v === true;
      continue;
    }
    if (f.kind === 'multiselect') {
      const chosen = Array.isArray(v) ? v : [];
      if (chosen.length === 0 && f.required) errors[f.name] = `Choose at least one ${f.label}.`;
      else if (f.minItems !== undefined && chosen.length < f.minItems) errors[f.name] = `Choose at least ${f.minItems}.`;
      else if (f.maxItems !== undefined && chosen.length > f.maxItems) errors[f.name] = `Choose at most ${f.maxItems}.`;
      else if (chosen.length > 0 || f.required) content[f.name] = chosen;
      continue;
    }
    const text = typeof v === 'string' ? v.trim() : '';
    if (text === '') {
      if (f.required) errors[f.name] = `${f.label} is required.`;
      continue;
    }
    if (f.kind === 'number' || f.kind === 'integer') {
      const n = Number(text);
      if (!Number.isFinite(n) || (f.kind === 'integer' && !Number.isInteger(n))) errors[f.name] = `${f.label} must be ${f.kind === 'integer' ? 'a whole number' : 'a number'}.`;
      else if (f.minimum !== undefined && n < f.minimum) errors[f.name] = `${f.label} must be at least ${f.minimum}.`;
      else if (f.maximum !== undefined && n > f.maximum) errors[f.name] = `${f.label} must be at most ${f.maximum}.`;
      else content[f.name] = n;
      continue;
    }
    if (f.kind === 'datetime') {
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) errors[f.name] = `${f.label} must be a date and time.`;
      else content[f.name] = d.toISOString();
      continue;
    }
    if (f.minLength !== undefined && text.length < f.minLength) errors[f.name] = `${f.label} must have at least ${f.minLength} characters.`;
    else if (f.maxLength !== undefined && text.length > f.maxLength) errors[f.name] = `${f.label} must have at most ${f.maxLength} characters.`;
    else content[f.name] = text;
  }
  return { content, errors };
}

/** The field a 400's details name (`details.field`, or an issue's path such as `content.email`). */
export function fieldErrorsOf(details: unknown, fields: readonly Field[], fallback: string): Record<string, string> {
  const names = new Set(fields.map((f) => f.name));
  const out: Record<string, string> = {};
  const d = (details ?? {}) as { field?: unknown; issues?: { path?: unknown; message?: unknown }[] };
  const nameIn = (path: unknown) => (typeof path === 'string' ? path.split('.').reverse().find((seg) => names.has(seg)) : undefined);
  for (const issue of Array.isArray(d.issues) ? d.issues : []) {
    const name = nameIn(issue.path);
    if (name && !out[name]) out[name] = typeof issue.message === 'string' ? issue.message : fallback;
  }
  const field = nameIn(d.field);
  if (field && !out[field]) out[field] = fallback;
  return out;
}
