import { useId, useState, type ReactNode } from 'react';

/**
 * A button that shows or hides its panel; `defaultOpen` follows the content until the person toggles it. The
 * button's name is its visible `summary` (with any visually hidden words it contains).
 */
export function Disclosure({ summary, defaultOpen, className, children }: {
  summary: ReactNode;
  defaultOpen: boolean;
  className?: string;
  children: ReactNode;
}) {
  const [chosen, setChosen] = useState<boolean | null>(null);
  const open = chosen ?? defaultOpen;
  const panelId = useId();
  return (
    <div className={`disclosure ${className ?? ''}`} data-open={open}>
      <button type="button" className="disclosure-button" aria-expanded={open} aria-controls={panelId} onClick={() => setChosen(!open)}>
        <span className="disclosure-chevron" aria-hidden="true" />
        {summary}
      </button>
      <div id={panelId} className="disclosure-panel" hidden={!open}>
        {open ? children : null}
      </div>
    </div>
  );
}
