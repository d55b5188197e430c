import { Link } from 'wouter';
import { httpUrlOrNull } from '../api/urls';
import type { McpAuthRequest } from './types';

/** A run needs the user to connect an MCP server (OAuth): where to do it. */
export function McpAuthNotice({ requests, harnessId, onDismiss }: { requests: readonly McpAuthRequest[]; harnessId: string; onDismiss(serverUrl: string): void }) {
  if (requests.length === 0) return null;
  return (
    <section className="mcp-auth" aria-label="Connections needed">
      {requests.map((r) => (
        <div key={r.serverUrl} className="mcp-auth-item" role="status">
          <p>
            <strong>Connect to continue:</strong> {r.serverUrl} needs you to sign in before its tools can run.
          </p>
          <div className="mcp-auth-actions">
            {httpUrlOrNull(r.authorizationUrl) ? (
              <a className="button primary" href={httpUrlOrNull(r.authorizationUrl)!} target="_blank" rel="noopener noreferrer">
                Connect
              </a>
            ) : null}
            <Link className="button" href={`/harnesses/${encodeURIComponent(harnessId)}`}>
              Open harness settings
            </Link>
            <button type="button" className="chat-action" onClick={() => onDismiss(r.serverUrl)}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}
