import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onSignedOut } from '../api/client';
import type { Me } from '../api/types';

type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; me: Me } | { status: 'error'; message: string };

interface Session {
  state: SessionState;
  signOut(): Promise<void>;
  reload(): void;
}

const SessionContext = createContext<Session | null>(null);

/** Who is signed in (GET /v1/me); any 401 later (session expired, signed out in another tab) signs the app out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api<Me>('/v1/me', { signal: controller.signal, quiet401: true })
      .then((me) => setState({ status: 'signed-in', me }))
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        if (e instanceof ApiError && e.status === 401) setState({ status: 'signed-out' });
        else setState({ status: 'error', message: (e as Error).message });
      });
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => onSignedOut(() => setState({ status: 'signed-out' })), []);

  const signOut = useCallback(async () => {
    await api('/auth/logout', { method: 'POST' });
    setState({ status: 'signed-out' });
  }, []);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  return <SessionContext.Provider value={{ state, signOut, reload }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in user; only inside the signed-in part of the app. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe while not signed in');
  return state.me;
}
