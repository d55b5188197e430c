import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import type { Harness, Model } from '../api/types';
import { routes } from '../app/App';
import { useToasts } from '../app/toasts';
import { harnessApi } from './api';
import {
  draftOf, emptyDraft, errorFor, fieldErrorsOf, inputOf, isDirty, MAX_SERVERS, newServerDraft,
  type FieldErrors, type HarnessDraft, type ReasoningChoice, type ServerDraft,
} from './draft';
import { Field } from './Field';
import { McpServerCard } from './McpServerCard';
import { useToolListing } from './useToolListing';
import { useUnsavedChangesWarning } from './useUnsavedChangesWarning';
import './harnesses.css';

const REASONING_CHOICES: { value: ReasoningChoice; label: string }[] = [
  { value: 'off', label: 'Off' },
  { value: 'low', label: 'Low' },
  { value: 'medium', label: 'Medium' },
  { value: 'high', label: 'High' },
];

type Loaded = { status: 'loading' } | { status: 'missing'; message: string } | { status: 'ready' };

export function HarnessEditorPage({ harnessId }: { harnessId: string | null }) {
  const toasts = useToasts();
  const [, navigate] = useLocation();
  const [loaded, setLoaded] = useState<Loaded>(harnessId ? { status: 'loading' } : { status: 'ready' });
  const [saved, setSaved] = useState<Harness | null>(null);
  const [draft, setDraft] = useState<HarnessDraft>(emptyDraft);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [savedVersion, setSavedVersion] = useState(0);
  const [addedKey, setAddedKey] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const [models, setModels] = useState<Model[] | null>(null);
  const modelListId = useId();
  const headingId = useId();
  const listing = useToolListing(saved?.id ?? null, savedVersion);

  useEffect(() => {
    if (!harnessId) return;
    const controller = new AbortController();
    harnessApi.get(harnessId, controller.signal).then(
      (h) => {
        setSaved(h);
        setDraft(draftOf(h));
        setLoaded({ status: 'ready' });
      },
      (e) => {
        if (controller.signal.aborted) return;
        setLoaded({ status: 'missing', message: (e as Error).message });
        toasts.error(e);
      },
    );
    return () => controller.abort();
  }, [harnessId, toasts]);

  useEffect(() => {
    const controller = new AbortController();
    harnessApi.models(controller.signal).then(
      (res) => setModels(res.items),
      () => setModels([]),
    );
    return () => controller.abort();
  }, []);

  const savedDraft = saved ? draftOf(saved) : emptyDraft();
  const dirty = isDirty(draft, savedDraft);
  useUnsavedChangesWarning(dirty);

  const update = (patch: Partial<HarnessDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const updateServer = (key: string, patch: Partial<ServerDraft>) =>
    setDraft((d) => ({ ...d, servers: d.servers.map((s) => (s.key === key ? { ...s, ...patch } : s)) }));

  const save = useCallback(
    async (e?: FormEvent) => {
      e?.preventDefault();
      if (saving) return;
      setSaving(true);
      try {
        const body = inputOf(draft);
        const result = saved ? await harnessApi.update(saved.id, body) : await harnessApi.create(body);
        setErrors({});
        setSaved(result);
        setDraft((d) => draftOf(result, d));
        setSavedVersion((v) => v + 1);
        toasts.info(saved ? 'Harness saved.' : 'Harness created.');
        if (!saved) navigate(routes.harness(result.id), { replace: true });
      } catch (err) {
        setErrors(fieldErrorsOf(err));
        toasts.error(err);
      } finally {
        setSaving(false);
      }
    },
    [draft, saved, saving, toasts, navigate],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

  if (loaded.status === 'loading') {
    return (
      <div className="harness-page">
        <p role="status" className="harness-muted">
          Loading harness…
        </p>
      </div>
    );
  }
  if (loaded.status === 'missing') {
    return (
      <div className="harness-page">
        <h1>Harness not found</h1>
        <p className="harness-muted">{loaded.message}</p>
        <Link href={routes.harnesses}>Back to all harnesses</Link>
      </div>
    );
  }

  const selectedModel = models?.find((m) => m.id === draft.model.trim());
  const reasoningHint =
    selectedModel && !selectedModel.reasoning && draft.reasoning !== 'off'
      ? 'This model does not say it supports reasoning: the effort may be ignored.'
      : 'How hard models that think on request (Claude, o-series) should think; Off sends nothing.';
  const title = saved ? saved.name : 'New harness';

  return (
    <div className="harness-page harness-editor">
      <form onSubmit={(e) => void save(e)} noValidate aria-labelledby={headingId}>
        <header className="editor-header">
          <div className="editor-title">
            <Link href={routes.harnesses} className="editor-back">
              ← All harnesses
            </Link>
            <h1 id={headingId}>{title}</h1>
          </div>
          <div className="editor-actions">
            <span className={`save-state${dirty ? ' is-dirty' : ''}`} role="status">
              {saving ? 'Saving…' : dirty ? 'Unsaved changes' : saved ? 'All changes saved' : ''}
            </span>
            <button type="submit" className="primary" disabled={saving} aria-keyshortcuts="Control+S">
              Save
            </button>
          </div>
        </header>

        <section className="editor-section" aria-labelledby={`${headingId}-general`}>
          <h2 id={`${headingId}-general`}>General</h2>
          <div className="editor-grid">
            <Field label="Name" error={errorFor(errors, 'name')}>
              {(props) => <input {...props} value={draft.name} onChange={(e) => update({ name: e.target.value })} autoComplete="off" required />}
            </Field>
            <Field
              label="Model"
              error={errorFor(errors, 'model')}
              hint={models === null ? 'Loading models…' : models.length === 0 ? 'The model list is unavailable: type any model id.' : 'Pick from the list or type any model id.'}
            >
              {(props) => (
                <input
                  {...props}
                  list={modelListId}
                  value={draft.model}
                  onChange={(e) => update({ model: e.target.value })}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="provider/model"
                  required
                />
              )}
            </Field>
            <datalist id={modelListId}>
              {models?.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name !== m.id ? m.name : undefined}
                </option>
              ))}
            </datalist>
          </div>
          <div className="editor-grid">
            <Field label="Reasoning" error={errorFor(errors, 'reasoning')} hint={reasoningHint}>
              {(props) => (
                <select {...props} value={draft.reasoning} onChange={(e) => update({ reasoning: e.target.value as ReasoningChoice })}>
                  {REASONING_CHOICES.map((c) => (
                    <option key={c.value} value={c.value}>
                      {c.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <Field label="System prompt" error={errorFor(errors, 'systemPrompt')} hint="Sent before every conversation of this harness.">
            {(props) => <textarea {...props} rows={6} value={draft.systemPrompt} onChange={(e) => update({ systemPrompt: e.target.value })} />}
          </Field>
        </section>

        <section className="editor-section" aria-labelledby={`${headingId}-servers`}>
          <div className="section-heading">
            <h2 id={`${headingId}-servers`}>MCP servers</h2>
            <span className="harness-muted">{draft.servers.length === 0 ? 'None yet' : `${draft.servers.length} of ${MAX_SERVERS}`}</span>
          </div>
          {errorFor(errors, 'mcpServers') && !draft.servers.length && <p className="field-error">{errorFor(errors, 'mcpServers')}</p>}
          <div className="server-list">
            {draft.servers.map((server, index) => {
              const savedServer = server.id ? saved?.mcpServers.find((s) => s.id === server.id) : undefined;
              return (
                <McpServerCard
                  key={server.key}
                  index={index}
                  server={server}
                  saved={savedServer}
                  errors={errors}
                  tools={(savedServer && listing.tools.get(savedServer.id)) || []}
                  listingError={savedServer && listing.errors.get(savedServer.id)}
                  toolsLoading={listing.loading}
                  onChange={(patch) => updateServer(server.key, patch)}
                  autoFocus={server.key === addedKey}
                  onRemove={() => {
                    setDraft((d) => ({ ...d, servers: d.servers.filter((s) => s.key !== server.key) }));
                    // The API's messages name servers by position: after a removal they would point at the wrong ones.
                    setErrors({});
                    addButton.current?.focus();
                  }}
                  onConnectionChanged={listing.reload}
                />
              );
            })}
          </div>
          <button
            type="button"
            className="add-server"
            disabled={draft.servers.length >= MAX_SERVERS}
            ref={addButton}
            onClick={() => {
              const server = newServerDraft();
              setAddedKey(server.key);
              setDraft((d) => ({ ...d, servers: [...d.servers, server] }));
            }}
          >
            <span aria-hidden="true">+</span> Add MCP server
          </button>
        </section>
      </form>
    </div>
  );
}
