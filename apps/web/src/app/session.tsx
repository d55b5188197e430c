import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onSignedOut } from '../api/client';
import type { Me } from '../api/types';

/** `expired`: a request answered 401 while signed in (session ended elsewhere or timed out), so the sign-in page says so. */
type SessionState = { status: 'loading' } | { status: 'signed-out'; reason?: 'expired' } | { status: 'signed-in'; me: Me } | { status: 'error'; message: string };

interface Session {
  state: SessionState;
  /** POST /auth/logout (this browser's session). */
  signOut(): Promise<void>;
  /** POST /auth/logout-all (every session of the user, in every browser). */
  signOutEverywhere(): Promise<void>;
  reload(): void;
}

const SessionContext = createContext<Session | null>(null);

/**
 * The first GET /v1/me, started by main.tsx before React's first render (with the page's other first requests). The
 * signed-in app is shown once `alsoWaitFor` has settled too (the settings: the page then opens in the right mode).
 */
let preloadedMe: Promise<Me> | null = null;
export function preloadSession(alsoWaitFor: Promise<unknown>): void {
  preloadedMe = api<Me>('/v1/me', { quiet401: true }).then((me) => alsoWaitFor.then(() => me, () => me));
  preloadedMe.catch(() => undefined);
}

/** Who is signed in (GET /v1/me); any 401 later (session expired, signed out in another tab) signs the app out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const request = attempt === 0 && preloadedMe ? preloadedMe : api<Me>('/v1/me', { signal: controller.signal, quiet401: true });
    request
      .then((me) => {
        if (!controller.signal.aborted) setState({ status: 'signed-in', me });
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError' || controller.signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) setState({ status: 'signed-out' });
        else setState({ status: 'error', message: (e as Error).message });
      });
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => onSignedOut(() => setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', reason: 'expired' } : s))), []);

  const signOut = useCallback(async () => {
    await api('/auth/logout', { method: 'POST' });
    setState({ status: 'signed-out' });
  }, []);
  const signOutEverywhere = useCallback(async () => {
    await api('/auth/logout-all', { method: 'POST' });
    setState({ status: 'signed-out' });
  }, []);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  return <SessionContext.Provider value={{ state, signOut, signOutEverywhere, reload }}>{children}</SessionContext.Provider>;
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
