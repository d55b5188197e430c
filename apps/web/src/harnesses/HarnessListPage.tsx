import { useCallback, useEffect, useState } from 'react';
import { Link } from 'wouter';
import type { Harness } from '../api/types';
import { routes } from '../app/App';
import { useToasts } from '../app/toasts';
import { harnessApi } from './api';
import { ConfirmDialog } from './ConfirmDialog';
import './harnesses.css';

const serverCount = (n: number) => (n === 0 ? 'No MCP servers' : n === 1 ? '1 MCP server' : `${n} MCP servers`);

export function HarnessListPage() {
  const toasts = useToasts();
  const [harnesses, setHarnesses] = useState<Harness[] | null>(null);
  const [toDelete, setToDelete] = useState<Harness | null>(null);
  const [deleting, setDeleting] = useState(false);

  const load = useCallback(
    (signal?: AbortSignal) =>
      harnessApi.list(signal).then(
        (page) => setHarnesses(page.items),
        (e) => {
          toasts.error(e);
          setHarnesses((h) => h ?? []);
        },
      ),
    [toasts],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const confirmDelete = async () => {
    if (!toDelete) return;
    setDeleting(true);
    try {
      await harnessApi.remove(toDelete.id);
      setHarnesses((list) => list?.filter((h) => h.id !== toDelete.id) ?? null);
      toasts.info(`Deleted “${toDelete.name}”.`);
      setToDelete(null);
    } catch (e) {
      toasts.error(e);
    } finally {
      setDeleting(false);
    }
  };

  return (
    <div className="harness-page">
      <header className="harness-page-header">
        <div>
          <h1>Harnesses</h1>
          <p className="harness-muted">A harness is a model with its instructions, reasoning effort and MCP tools.</p>
        </div>
        <Link href={routes.newHarness} className="button primary">
          New harness
        </Link>
      </header>

      {harnesses === null ? (
        <p role="status" className="harness-muted">
          Loading harnesses…
        </p>
      ) : harnesses.length === 0 ? (
        <div className="harness-empty">
          <h2>No harnesses yet</h2>
          <p className="harness-muted">Create one to choose a model, write a system prompt and connect MCP servers.</p>
        </div>
      ) : (
        <ul className="harness-list" aria-label="Your harnesses">
          {harnesses.map((h) => (
            <li key={h.id} className="harness-card">
              <div className="harness-card-main">
                <Link href={routes.harness(h.id)} className="harness-card-name">
                  {h.name}
                </Link>
                <div className="harness-card-meta">
                  <span className="harness-model">{h.model}</span>
                  <span aria-hidden="true">·</span>
                  <span>{serverCount(h.mcpServers.length)}</span>
                  {h.reasoning && (
                    <>
                      <span aria-hidden="true">·</span>
                      <span>Reasoning {h.reasoning.effort}</span>
                    </>
                  )}
                </div>
              </div>
              <button type="button" className="danger" aria-label={`Delete ${h.name}`} onClick={() => setToDelete(h)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}

      {toDelete && (
        <ConfirmDialog
          title={`Delete “${toDelete.name}”?`}
          confirmLabel="Delete harness"
          busy={deleting}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setToDelete(null)}
        >
          <p>Its MCP servers and their saved credentials are deleted with it. Conversations keep their history.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
