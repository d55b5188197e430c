import { useId } from 'react';
import { useHarnessChoice } from './harness-choice';

/** The select of the user's harnesses for the next new conversation (the choice is remembered). */
export function HarnessPicker({ label, className }: { label: string; className?: string }) {
  const { harnesses, selectedId, select } = useHarnessChoice();
  const id = useId();
  if (!harnesses?.length) return null;
  return (
    <div className={`harness-picker ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={selectedId ?? ''} onChange={(e) => select(e.target.value)}>
        {harnesses.map((h) => (
          <option key={h.id} value={h.id}>
            {h.name}
          </option>
        ))}
      </select>
    </div>
  );
}
