import { useEffect } from 'react';
import { useStartConversation } from './use-start-conversation';

/** App-wide keys: Ctrl/⌘+Shift+O starts a new conversation (as in other chat apps). */
export function useShortcuts(): void {
  const { start } = useStartConversation();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        void start();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [start]);
}
