import type { QueueItem } from './types';

/** Messages waiting for the active run to end; each can run now (stopping the active run) or be removed. */
export function QueueList({ items, onSendNow, onRemove }: { items: readonly QueueItem[]; onSendNow(id: string): void; onRemove(id: string): void }) {
  if (items.length === 0) return null;
  return (
    <ul className="queue" aria-label="Queued messages">
      {items.map((item) => (
        <li key={item.id} className="queue-item">
          <span className="queue-badge" aria-hidden="true">Queued</span>
          <span className="queue-text" title={item.content}>
            {item.content}
          </span>
          <span className="queue-buttons">
            <button type="button" className="chat-action" onClick={() => onSendNow(item.id)}>
              Send now
            </button>
            <button type="button" className="chat-action" onClick={() => onRemove(item.id)}>
              Remove
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
