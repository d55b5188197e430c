import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/client';
import type { Harness, Page } from '../api/types';
import { useToasts } from '../app/toasts';

/** The harness a new conversation uses, remembered per browser. */
const LAST_HARNESS_KEY = 'harness.lastHarnessId';
/** The API's largest page; a user has at most 100 harnesses by default. */
const HARNESS_PAGE = 200;

interface HarnessChoice {
  /** null until the first answer. */
  harnesses: Harness[] | null;
  selectedId: string | null;
  select(id: string): void;
}

const HarnessChoiceContext = createContext<HarnessChoice | null>(null);

function remembered(): string | null {
  try {
    return localStorage.getItem(LAST_HARNESS_KEY);
  } catch {
    return null;
  }
}

function remember(id: string): void {
  try {
    localStorage.setItem(LAST_HARNESS_KEY, id);
  } catch {
    // storage refused (private mode, quota): the choice lasts this visit only
  }
}

/** The user's harnesses (reloaded around a visit to the harness pages, where they change) and the one picked. */
export function HarnessChoiceProvider({ children }: { children: ReactNode }) {
  const toasts = useToasts();
  const [location] = useLocation();
  const inHarnessPages = location.startsWith('/harnesses');
  const [harnesses, setHarnesses] = useState<Harness[] | null>(null);
  const [picked, setPicked] = useState<string | null>(remembered);

  // Entering or leaving the harness pages (where harnesses are made and removed) reloads them.
  useEffect(() => {
    const controller = new AbortController();
    api<Page<Harness>>(`/v1/harnesses?limit=${HARNESS_PAGE}`, { signal: controller.signal })
      .then((page) => setHarnesses(page.items))
      .catch((e: unknown) => toasts.error(e));
    return () => controller.abort();
  }, [inHarnessPages, toasts]);

  const select = useCallback((id: string) => {
    setPicked(id);
    remember(id);
  }, []);

  const value = useMemo<HarnessChoice>(() => {
    const known = harnesses?.some((h) => h.id === picked);
    return { harnesses, selectedId: known ? picked : (harnesses?.[0]?.id ?? null), select };
  }, [harnesses, picked, select]);

  return <HarnessChoiceContext.Provider value={value}>{children}</HarnessChoiceContext.Provider>;
}

export function useHarnessChoice(): HarnessChoice {
  const ctx = useContext(HarnessChoiceContext);
  if (!ctx) throw new Error('useHarnessChoice outside HarnessChoiceProvider');
  return ctx;
}
