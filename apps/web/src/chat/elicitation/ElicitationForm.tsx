import { useId, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client';
import { useToasts } from '../../app/toasts';
import { conversationPath } from '../conversation-api';
import { fieldErrorsOf, initialValues, schemaToFields, valuesToContent, type Field, type FieldValue, type FormValues } from './schema-fields';
import './elicitation.css';

export type ElicitationStatus = 'pending' | 'accepted' | 'declined' | 'cancelled' | 'expired';

export interface Elicitation {
  elicitationId: string;
  serverName: string;
  message: string;
  requestedSchema: unknown;
  status: ElicitationStatus;
}

const INPUT_TYPES: Record<string, string> = { text: 'text', email: 'email', url: 'url', date: 'date', datetime: 'datetime-local', number: 'number', integer: 'number' };

const STATUS_TEXT: Record<Exclude<ElicitationStatus, 'pending'>, string> = {
  accepted: 'You answered this request.',
  declined: 'You declined this request.',
  cancelled: 'This request was cancelled.',
  expired: 'This request expired.',
};

function MultiSelect({ field, value, error, onChange }: { field: Field; value: FieldValue; error?: string; onChange(v: FieldValue): void }) {
  const id = useId();
  const chosen = Array.isArray(value) ? value : [];
  const describedBy = [field.description ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset className="elicitation-field elicitation-choices" aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
      <legend>
        {field.label}
        {field.required ? <span aria-hidden="true"> *</span> : null}
      </legend>
      {field.options!.map((o) => (
        <label key={o.value} className="choice">
          <input
            type="checkbox"
            checked={chosen.includes(o.value)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))}
          />
          {o.label}
        </label>
      ))}
      {field.description ? <p id={`${id}-help`} className="field-help">{field.description}</p> : null}
      {error ? <p id={`${id}-error`} className="field-error">{error}</p> : null}
    </fieldset>
  );
}

function FieldInput({ field, value, error, onChange }: { field: Field; value: FieldValue; error?: string; onChange(v: FieldValue): void }) {
  const id = useId();
  const helpId = field.description ? `${id}-help` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  if (field.kind === 'multiselect') return <MultiSelect field={field} value={value} error={error} onChange={onChange} />;
  const common = { id, name: field.name, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined } as const;
  return (
    <div className={`elicitation-field ${field.kind === 'boolean' ? 'checkbox-field' : ''}`}>
      {field.kind === 'boolean' ? (
        <>
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
          <label htmlFor={id}>{field.label}</label>
        </>
      ) : (
        <>
          <label htmlFor={id}>
            {field.label}
            {field.required ? <span aria-hidden="true"> *</span> : null}
          </label>
          {field.kind === 'select' ? (
            <select {...common} required={field.required} value={String(value)} onChange={(e) => onChange(e.target.value)}>
              {field.required && value !== '' ? null : <option value="">—</option>}
              {field.options!.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : (
            <input
              {...common}
              type={INPUT_TYPES[field.kind]}
              required={field.required}
              value={String(value)}
              minLength={field.minLength}
              maxLength={field.maxLength}
              min={field.minimum}
              max={field.maximum}
              step={field.kind === 'integer' ? 1 : field.kind === 'number' ? 'any' : undefined}
              onChange={(e) => onChange(e.target.value)}
            />
          )}
        </>
      )}
      {field.description ? <p id={helpId} className="field-help">{field.description}</p> : null}
      {error ? <p id={errorId} className="field-error">{error}</p> : null}
    </div>
  );
}

/** A server's question in the middle of a run: a form from its schema, answered with accept, decline or cancel. */
export function ElicitationForm({ conversationId, elicitation }: { conversationId: string; elicitation: Elicitation }) {
  const toasts = useToasts();
  const fields = useMemo(() => schemaToFields(elicitation.requestedSchema), [elicitation.requestedSchema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();

  const answer = async (body: { action: 'accept'; content: Record<string, unknown> } | { action: 'decline' | 'cancel' }) => {
    setBusy(true);
    try {
      await api(`${conversationPath(conversationId)}/elicitations/${encodeURIComponent(elicitation.elicitationId)}`, { method: 'POST', body });
      setSent(body.action);
      setErrors({});
    } catch (e) {
      if (e instanceof ApiError && e.status === 400) {
        const byField = fieldErrorsOf(e.details, fields, e.message);
        setErrors(byField);
        if (Object.keys(byField).length === 0) toasts.error(e);
      } else toasts.error(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { content, errors: invalid } = valuesToContent(fields, values);
    setErrors(invalid);
    if (Object.keys(invalid).length === 0) void answer({ action: 'accept', content });
  };

  const done = elicitation.status !== 'pending';
  return (
    <section className="elicitation" aria-labelledby={titleId}>
      <p id={titleId} className="elicitation-title">
        {elicitation.serverName || 'A tool'} asks
      </p>
      <p className="elicitation-message">{elicitation.message}</p>
      {done ? (
        <p className="elicitation-status" role="status">{STATUS_TEXT[elicitation.status as Exclude<ElicitationStatus, 'pending'>] ?? elicitation.status}</p>
      ) : sent ? (
        <p className="elicitation-status" role="status">Answer sent ({sent}); waiting for the server…</p>
      ) : (
        <form onSubmit={submit} noValidate>
          {fields.map((f) => (
            <FieldInput key={f.name} field={f} value={values[f.name] ?? ''} error={errors[f.name]} onChange={(v) => setValues((old) => ({ ...old, [f.name]: v }))} />
          ))}
          <div className="elicitation-buttons">
            <button type="submit" className="primary" disabled={busy}>Submit</button>
            <button type="button" disabled={busy} onClick={() => void answer({ action: 'decline' })}>Decline</button>
            <button type="button" disabled={busy} onClick={() => void answer({ action: 'cancel' })}>Cancel</button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The elicitation in a `data-elicitation` part's data, or null when it lacks what the form needs. */
export function elicitationOf(id: string, data: Record<string, unknown>): Elicitation | null {
  const status = (typeof data.status === 'string' ? data.status : 'pending') as ElicitationStatus;
  if (typeof data.message !== 'string') return null;
  return {
    elicitationId: typeof data.elicitationId === 'string' ? data.elicitationId : id,
    serverName: typeof data.serverName === 'string' ? data.serverName : '',
    message: data.message,
    requestedSchema: data.requestedSchema,
    status,
  };
}
