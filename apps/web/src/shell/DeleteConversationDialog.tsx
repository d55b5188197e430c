import { useEffect, useRef, useState } from 'react';
import type { Conversation } from '../api/types';
import { titleOf } from './conversation-title';

interface Props {
  conversation: Conversation | null;
  onConfirm(conversation: Conversation): Promise<void>;
  onClose(): void;
}

/** "Delete this conversation?" as a modal dialog (focus kept inside, Esc cancels), Cancel focused first. */
export function DeleteConversationDialog({ conversation, onConfirm, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (conversation && !d.open) d.showModal();
    if (!conversation && d.open) d.close();
  }, [conversation]);

  const confirm = async () => {
    if (!conversation) return;
    setBusy(true);
    try {
      await onConfirm(conversation);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} className="confirm-dialog" aria-labelledby="delete-conversation-title" onClose={onClose} onCancel={onClose}>
      {conversation && (
        <>
          <h2 id="delete-conversation-title">Delete conversation?</h2>
          <p>
            “{titleOf(conversation)}” and all its messages will be deleted. This cannot be undone.
          </p>
          <div className="dialog-actions">
            <button type="button" autoFocus onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="danger-solid" onClick={() => void confirm()} disabled={busy}>
              Delete
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
