import type { DisplayMode } from '../api/types';
import { useSettings } from '../app/settings';

const MODES: { mode: DisplayMode; label: string; hint: string }[] = [
  { mode: 'zen', label: 'Zen', hint: 'Only the conversation' },
  { mode: 'standard', label: 'Standard', hint: 'Conversations and tools' },
  { mode: 'developer', label: 'Developer', hint: 'Adds ids, models, tokens, timings and raw events' },
];

/** The "Display mode" radio group (native radios: arrow keys move and choose), saved in the user's settings. */
export function DisplayModeControl() {
  const { displayMode, setDisplayMode } = useSettings();
  return (
    <div role="radiogroup" aria-label="Display mode" className="segmented">
      {MODES.map(({ mode, label, hint }) => (
        <label key={mode} className="segment" title={hint}>
          <input type="radio" name="display-mode" value={mode} checked={displayMode === mode} onChange={() => setDisplayMode(mode)} />
          <span>{label}</span>
        </label>
      ))}
    </div>
  );
}
