import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { api } from '../api/client';
import type { DisplayMode, Settings } from '../api/types';
import { useToasts } from './toasts';

interface SettingsApi {
  displayMode: DisplayMode;
  setDisplayMode(mode: DisplayMode): void;
}

const SettingsContext = createContext<SettingsApi | null>(null);

/** The last mode seen in this browser: the page opens in it, without a flash of another mode until the API answers. */
const CACHED_MODE_KEY = 'harness.displayMode';
const MODES: readonly DisplayMode[] = ['zen', 'standard', 'developer'];

function cachedMode(): DisplayMode {
  try {
    const m = localStorage.getItem(CACHED_MODE_KEY);
    return MODES.includes(m as DisplayMode) ? (m as DisplayMode) : 'standard';
  } catch {
    return 'standard';
  }
}

function cacheMode(mode: DisplayMode): void {
  try {
    localStorage.setItem(CACHED_MODE_KEY, mode);
  } catch {
    // storage refused: the next visit starts in standard until the API answers
  }
}

/** The first GET /v1/me/settings, started by main.tsx with the page's other first requests; its value once it came. */
let preloaded: { request: Promise<Settings>; value?: Settings } | null = null;
export function preloadSettings(): Promise<unknown> {
  const entry: NonNullable<typeof preloaded> = { request: api<Settings>('/v1/me/settings', { quiet401: true }) };
  entry.request.then((value) => (entry.value = value), () => undefined);
  preloaded = entry;
  return entry.request;
}

/**
 * The user's settings (GET/PUT /v1/me/settings). The API's value wins over the browser's cached one, unless the user
 * chose a mode before it answered. A change shows at once and is reverted if the save fails.
 */
export function SettingsProvider({ children }: { children: ReactNode }) {
  const toasts = useToasts();
  const [displayMode, setMode] = useState<DisplayMode>(() => preloaded?.value?.displayMode ?? cachedMode());
  const chosen = useRef(false);

  useEffect(() => {
    const controller = new AbortController();
    const fetchSettings = () => api<Settings>('/v1/me/settings', { signal: controller.signal });
    // The preload serves the first provider only (a failed one is asked again, so its error is a real one).
    const request = preloaded ? preloaded.request.catch(fetchSettings) : fetchSettings();
    request
      .then((s) => {
        preloaded = null;
        if (!chosen.current && !controller.signal.aborted) setMode(s.displayMode);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError' && !controller.signal.aborted) toasts.error(e);
      });
    return () => controller.abort();
  }, [toasts]);

  useEffect(() => {
    document.documentElement.dataset.displayMode = displayMode;
    cacheMode(displayMode);
  }, [displayMode]);

  const setDisplayMode = useCallback(
    (mode: DisplayMode) => {
      chosen.current = true;
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
