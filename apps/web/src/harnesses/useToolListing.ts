import { useCallback, useEffect, useRef, useState } from 'react';
import type { Tool } from '../api/types';
import { useToasts } from '../app/toasts';
import { harnessApi, type ToolListingError } from './api';

export interface ToolsByServer {
  tools: Map<string, Tool[]>;
  errors: Map<string, ToolListingError>;
  loading: boolean;
  reload(): void;
}

/** The tools of a saved harness, grouped by server id; `version` changes (a save) reload them. */
export function useToolListing(harnessId: string | null, version: number): ToolsByServer {
  const toasts = useToasts();
  const [tools, setTools] = useState<Map<string, Tool[]>>(new Map());
  const [errors, setErrors] = useState<Map<string, ToolListingError>>(new Map());
  const [loading, setLoading] = useState(false);
  const [reloads, setReloads] = useState(0);
  const current = useRef<AbortController | null>(null);

  useEffect(() => {
    if (!harnessId) return;
    const controller = new AbortController();
    current.current?.abort();
    current.current = controller;
    setLoading(true);
    harnessApi.tools(harnessId, controller.signal).then(
      (listing) => {
        const grouped = new Map<string, Tool[]>();
        for (const t of listing.items) grouped.set(t.serverId, [...(grouped.get(t.serverId) ?? []), t]);
        setTools(grouped);
        setErrors(new Map(listing.errors.map((e) => [e.serverId, e])));
        setLoading(false);
      },
      (e) => {
        if (controller.signal.aborted) return;
        toasts.error(e);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [harnessId, version, reloads, toasts]);

  const reload = useCallback(() => setReloads((n) => n + 1), []);
  return { tools, errors, loading, reload };
}
