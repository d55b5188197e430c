import { memo } from 'react';
import { formatDuration, useMeasuredDuration } from '../timings';
import { Disclosure } from './Disclosure';

/** The model's thinking: open while it thinks, folded once it is done, with how long it took when this page saw it. */
export const ReasoningPart = memo(function ReasoningPart({ partKey, text, streaming }: { partKey: string; text: string; streaming: boolean }) {
  const duration = useMeasuredDuration(`reasoning:${partKey}`, streaming);
  const label = streaming ? 'Thinking…' : duration === undefined ? 'Thinking' : `Thinking (${formatDuration(duration)})`;
  return (
    <Disclosure
      className="reasoning"
      defaultOpen={streaming}
      summary={<span className={streaming ? 'shimmer' : undefined}>{label}</span>}
    >
      <div className="reasoning-text" tabIndex={0}>{text || '…'}</div>
    </Disclosure>
  );
});
