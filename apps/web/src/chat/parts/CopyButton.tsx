import { useState } from 'react';
import { useToasts } from '../../app/toasts';

/** Copies `text()` to the clipboard; says "Copied" for a moment. */
export function CopyButton({ text, label = 'Copy', className }: { text: () => string; label?: string; className?: string }) {
  const toasts = useToasts();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text());
      setCopied(true);
      window.setTimeout(() => setCopied(false), 1_500);
    } catch {
      toasts.error(new Error('The clipboard is not available here.'));
    }
  };
  return (
    <>
      <button type="button" className={className ?? 'chat-action'} onClick={copy}>
        {label}
      </button>
      <span className="copied" role="status">
        {copied ? 'Copied' : ''}
      </span>
    </>
  );
}
