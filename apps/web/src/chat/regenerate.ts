import { createContext } from 'react';

/**
 * Regenerates an answer; null while a run is active. A context, not a prop of each message: when a run starts or
 * ends only the "Regenerate" buttons re-render, not every message of the page.
 */
export const RegenerateContext = createContext<((messageId: string) => void) | null>(null);
