import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api } from '../api/client';
import type { DisplayMode, Settings } from '../api/types';
import { useToasts } from './toasts';

interface SettingsApi {
  displayMode: DisplayMode;
  setDisplayMode(mode: DisplayMode): void;
}

const SettingsContext = createContext<SettingsApi | null>(null);

/** The user's settings (GET/PUT /v1/me/settings). A change shows at once and is reverted if the save fails. */
export function SettingsProvider({ children }: { children: ReactNode }) {
  const toasts = useToasts();
  const [displayMode, setMode] = useState<DisplayMode>('standard');

  useEffect(() => {
    const controller = new AbortController();
    api<Settings>('/v1/me/settings', { signal: controller.signal })
      .then((s) => setMode(s.displayMode))
      .catch((e: unknown) => toasts.error(e));
    return () => controller.abort();
  }, [toasts]);

  useEffect(() => {
    document.documentElement.dataset.displayMode = displayMode;
  }, [displayMode]);

  const setDisplayMode = useCallback(
    (mode: DisplayMode) => {
      let previous: DisplayMode = 'standard';
      setMode((current) => {
        previous = current;
        return mode;
      });
      api<Settings>('/v1/me/settings', { method: 'PUT', body: { displayMode: mode } }).catch((e: unknown) => {
        setMode(previous);
        toasts.error(e);
      });
    },
    [toasts],
  );

  return <SettingsContext.Provider value={{ displayMode, setDisplayMode }}>{children}</SettingsContext.Provider>;
}

export function useSettings(): SettingsApi {
  const ctx = useContext(SettingsContext);
  if (!ctx) throw new Error('useSettings outside SettingsProvider');
  return ctx;
}
