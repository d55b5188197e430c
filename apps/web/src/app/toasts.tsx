import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

interface Toasts {
  /** Shows an error: an ApiError's message is the API's own, anything else a generic sentence. */
  error(e: unknown): void;
  info(message: string): void;
}

/** At most this many toasts at once; the oldest goes first. */
const MAX_TOASTS = 4;
const TOAST_MS = 8_000;

const ToastContext = createContext<Toasts | null>(null);

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong.';
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (kind: Toast['kind'], message: string) => {
      const id = nextId.current++;
      setToasts((list) => [...list.filter((t) => t.message !== message), { id, kind, message }].slice(-MAX_TOASTS));
      window.setTimeout(() => dismiss(id), TOAST_MS);
    },
    [dismiss],
  );
  const api = useMemo<Toasts>(
    () => ({
      error: (e) => {
        if ((e as Error)?.name === 'AbortError') return;
        push('error', messageOf(e));
      },
      info: (message) => push('info', message),
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={api}>
      {children}
      <section className="toasts" aria-label="Notifications">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <svg className="toast-icon" width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <circle cx="12" cy="12" r="10" fill="currentColor" />
              <path d={t.kind === 'error' ? 'M12 7v6M12 16.5v.5' : 'M12 11v6M12 7.5v.5'} stroke="var(--bg-raised)" strokeWidth="2.4" strokeLinecap="round" />
            </svg>
            <span>{t.message}</span>
            <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M6 6l12 12M18 6 6 18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
              </svg>
            </button>
          </div>
        ))}
      </section>
    </ToastContext.Provider>
  );
}

export function useToasts(): Toasts {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error('useToasts outside ToastProvider');
  return ctx;
}
