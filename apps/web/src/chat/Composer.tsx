import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

export interface ComposerProps {
  /** The user's earlier messages in this conversation, oldest first (for ↑/↓). */
  history: readonly string[];
  runActive: boolean;
  /** Resolves false when the message was not sent (the text stays in the box). */
  onSend(text: string): Promise<boolean> | boolean;
  onStop(): void;
  /** A refused message's text comes back here. */
  draft: { text: string; at: number } | null;
}

/** The message box: Enter sends, Shift+Enter is a new line; ↑/↓ in an empty box walk through earlier messages. */
export function Composer({ history, runActive, onSend, onStop, draft }: ComposerProps) {
  const [text, setText] = useState('');
  const [historyIndex, setHistoryIndex] = useState<number | null>(null);
  const [restoredAt, setRestoredAt] = useState<number | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  if (draft && draft.at !== restoredAt) {
    setRestoredAt(draft.at);
    if (text === '') setText(draft.text);
  }

  const send = async () => {
    const value = text;
    if (value.trim() === '') return;
    setText('');
    setHistoryIndex(null);
    const ok = await onSend(value);
    if (ok === false) setText((current) => (current === '' ? value : current));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send();
  };

  const walk = (e: KeyboardEvent<HTMLTextAreaElement>, direction: -1 | 1) => {
    const browsing = historyIndex !== null && text === history[historyIndex];
    if (text !== '' && !browsing) return;
    if (direction === -1) {
      const next = historyIndex === null || !browsing ? history.length - 1 : historyIndex - 1;
      if (next < 0) return;
      e.preventDefault();
      setHistoryIndex(next);
      setText(history[next]!);
    } else {
      if (!browsing) return;
      e.preventDefault();
      const next = historyIndex! + 1;
      if (next >= history.length) {
        setHistoryIndex(null);
        setText('');
      } else {
        setHistoryIndex(next);
        setText(history[next]!);
      }
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'ArrowUp' && !e.shiftKey && !e.altKey) walk(e, -1);
    else if (e.key === 'ArrowDown' && !e.shiftKey && !e.altKey) walk(e, 1);
  };

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="chat-message" className="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-message"
        ref={box}
        className="composer-input"
        rows={1}
        value={text}
        placeholder={runActive ? 'Queue a message…' : 'Message'}
        aria-describedby="chat-message-hint"
        onChange={(e) => {
          setText(e.target.value);
          setHistoryIndex(null);
        }}
        onKeyDown={onKeyDown}
      />
      <span id="chat-message-hint" className="visually-hidden">
        Enter sends, Shift+Enter adds a line; up and down arrows in an empty box recall earlier messages.
        {runActive ? ' A message sent now is queued until the answer ends.' : ''}
      </span>
      <div className="composer-buttons">
        {runActive ? (
          <button type="button" className="stop-button" onClick={onStop}>
            <span className="stop-icon" aria-hidden="true" />
            Stop
          </button>
        ) : null}
        <button type="submit" className="primary send-button" disabled={text.trim() === ''}>
          Send
        </button>
      </div>
    </form>
  );
}
