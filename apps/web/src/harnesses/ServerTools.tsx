import type { Tool } from '../api/types';
import type { ToolListingError } from './api';

interface Props {
  tools: Tool[];
  error: ToolListingError | undefined;
  loading: boolean;
}

/** Lists open by default up to this many tools; longer ones start collapsed. */
const OPEN_UP_TO = 8;

/** The tools one saved server offers, or why it could not be listed. */
export function ServerTools({ tools, error, loading }: Props) {
  if (error) {
    const needsConnect = error.authRequired !== undefined;
    return (
      <div className={`server-listing-error${needsConnect ? ' needs-connect' : ''}`}>
        <strong>{needsConnect ? 'Connect your account to use its tools.' : 'Its tools could not be listed.'}</strong>{' '}
        <span>{error.message}</span>
      </div>
    );
  }
  if (loading && tools.length === 0) return <p className="harness-hint">Listing tools…</p>;
  if (tools.length === 0) return <p className="harness-hint">This server offers no tools.</p>;
  return (
    <details className="server-tools" open={tools.length <= OPEN_UP_TO}>
      <summary>
        {tools.length === 1 ? '1 tool' : `${tools.length} tools`}
      </summary>
      <ul aria-label="Tools">
        {tools.map((t) => (
          <li key={t.name}>
            <code className="tool-name">{t.name}</code>
            {t.originalName !== t.name && <span className="harness-hint"> ({t.originalName} on the server)</span>}
            {t.description && <p className="tool-description">{t.description}</p>}
          </li>
        ))}
      </ul>
    </details>
  );
}
