import { useCallback, useState } from 'react';
import { useLocation } from 'wouter';
import { routes } from '../app/App';
import { useToasts } from '../app/toasts';
import { useConversationList } from './conversation-list';
import { useHarnessChoice } from './harness-choice';

/** Creates a conversation with the picked harness and opens it; errors go to a toast. */
export function useStartConversation(): { start(): Promise<void>; starting: boolean; canStart: boolean } {
  const { selectedId } = useHarnessChoice();
  const list = useConversationList();
  const toasts = useToasts();
  const [, navigate] = useLocation();
  const [starting, setStarting] = useState(false);

  const start = useCallback(async () => {
    if (!selectedId || starting) return;
    setStarting(true);
    try {
      const c = await list.create(selectedId);
      navigate(routes.conversation(c.id));
    } catch (e) {
      toasts.error(e);
    } finally {
      setStarting(false);
    }
  }, [selectedId, starting, list, navigate, toasts]);

  return { start, starting, canStart: selectedId !== null };
}
