/** Three animated dots while an answer has nothing to show yet; `label` is what assistive technology hears. */
export function TypingIndicator({ label, standalone = false }: { label: string; standalone?: boolean }) {
  return (
    <p className={standalone ? 'typing standalone' : 'typing'} role="status">
      <span className="visually-hidden">{label}</span>
      <span className="dot" aria-hidden="true" />
      <span className="dot" aria-hidden="true" />
      <span className="dot" aria-hidden="true" />
    </p>
  );
}
