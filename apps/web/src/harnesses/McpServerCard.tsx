import { useId, useRef, type KeyboardEvent } from 'react';
import type { McpAuthType, McpServer, Tool } from '../api/types';
import type { ToolListingError } from './api';
import { AUTH_TYPE_LABELS, errorFor, type FieldErrors, type ServerDraft } from './draft';
import { Field } from './Field';
import { OAuthConnection } from './OAuthConnection';
import { ServerTools } from './ServerTools';

interface Props {
  index: number;
  server: ServerDraft;
  /** The server as last saved (undefined until the harness is saved with it). */
  saved: McpServer | undefined;
  errors: FieldErrors;
  tools: Tool[];
  listingError: ToolListingError | undefined;
  toolsLoading: boolean;
  onChange(patch: Partial<ServerDraft>): void;
  onRemove(): void;
  onConnectionChanged(): void;
  /** A server just added: its name field takes the focus. */
  autoFocus?: boolean;
}

const AUTH_TYPES: McpAuthType[] = ['none', 'bearer', 'oauth', 'client_credentials'];

/** Esc restores the value the field had when its edit began (Enter submits the form: the harness is saved). */
function useInlineEdit(value: string, set: (v: string) => void) {
  const before = useRef(value);
  return {
    onFocus: () => {
      before.current = value;
    },
    onKeyDown: (e: KeyboardEvent<HTMLInputElement>) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      set(before.current);
    },
  };
}

export function McpServerCard({ index, server, saved, errors, tools, listingError, toolsLoading, onChange, onRemove, onConnectionChanged, autoFocus }: Props) {
  const headingId = useId();
  const path = (field: string) => `mcpServers.${index}.${field}`;
  const err = (field: string) => errorFor(errors, path(field));
  const nameEdit = useInlineEdit(server.name, (name) => onChange({ name }));
  const urlEdit = useInlineEdit(server.url, (url) => onChange({ url }));

  const savedAs = saved && saved.url === server.url.trim() && saved.authType === server.authType ? saved : undefined;
  const tokenKept = server.authType === 'bearer' && savedAs?.hasAuthToken;
  const urlChangedWithToken = server.authType === 'bearer' && saved?.hasAuthToken && saved.authType === 'bearer' && saved.url !== server.url.trim();
  const secretKept = server.authType === 'client_credentials' && savedAs && saved?.clientId === server.clientId.trim();
  const title = server.name.trim() || 'New server';

  return (
    <fieldset className="server-card" aria-labelledby={headingId}>
      <div className="server-card-header">
        <h3 id={headingId}>{title}</h3>
        <span className={`auth-badge auth-${server.authType}`}>{AUTH_TYPE_LABELS[server.authType]}</span>
        {!saved && <span className="unsaved-badge">Not saved</span>}
        <button type="button" className="danger server-remove" aria-label={`Remove ${title}`} onClick={onRemove}>
          Remove
        </button>
      </div>

      <div className="server-fields">
        <Field label="Server name" error={err('name')}>
          {(props) => <input {...props} value={server.name} onChange={(e) => onChange({ name: e.target.value })} autoComplete="off" autoFocus={autoFocus} placeholder="e.g. GitHub" {...nameEdit} />}
        </Field>
        <Field label="Server URL" error={err('url')} hint="Enter saves · Esc undoes the edit">
          {(props) => (
            <input
              {...props}
              type="url"
              inputMode="url"
              spellCheck={false}
              placeholder="https://mcp.example.com/mcp"
              value={server.url}
              onChange={(e) => onChange({ url: e.target.value })}
              autoComplete="off"
              {...urlEdit}
            />
          )}
        </Field>
        <Field label="Auth type" error={err('authType')}>
          {(props) => (
            <select {...props} value={server.authType} onChange={(e) => onChange({ authType: e.target.value as McpAuthType })}>
              {AUTH_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>

      {server.authType === 'bearer' && (
        <Field
          label="Bearer token"
          error={err('authToken')}
          hint={
            urlChangedWithToken
              ? 'The URL changed: enter the token again. A saved token is never sent to another URL.'
              : tokenKept
                ? 'Leave empty to keep the saved token. It is never shown again.'
                : 'Sent as “Authorization: Bearer …”. Stored encrypted and never shown again.'
          }
          badge={tokenKept && !server.authToken ? <span className="saved-badge">Token saved</span> : undefined}
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              placeholder={tokenKept ? '••••••••  (saved)' : 'Paste the token'}
              value={server.authToken}
              onChange={(e) => onChange({ authToken: e.target.value })}
            />
          )}
        </Field>
      )}

      {server.authType === 'client_credentials' && (
        <div className="client-credentials">
          <Field label="Client ID" error={err('clientId')}>
            {(props) => <input {...props} value={server.clientId} autoComplete="off" spellCheck={false} onChange={(e) => onChange({ clientId: e.target.value })} />}
          </Field>
          <fieldset className="credential-choice">
            <legend>Client authentication</legend>
            {(['secret', 'key'] as const).map((c) => (
              <label key={c}>
                <input type="radio" name={`credential-${server.key}`} checked={server.credential === c} onChange={() => onChange({ credential: c })} />
                {c === 'secret' ? 'Shared secret' : 'Signed assertion (private_key_jwt)'}
              </label>
            ))}
          </fieldset>
          {server.credential === 'secret' ? (
            <Field
              label="Client secret"
              error={err('clientSecret')}
              hint={secretKept && saved?.hasClientSecret ? 'Leave empty to keep the saved secret.' : 'Stored encrypted and never shown again.'}
              badge={secretKept && saved?.hasClientSecret && !server.clientSecret ? <span className="saved-badge">Secret saved</span> : undefined}
            >
              {(props) => <input {...props} type="password" autoComplete="new-password" value={server.clientSecret} onChange={(e) => onChange({ clientSecret: e.target.value })} />}
            </Field>
          ) : (
            <Field
              label="Private key (PEM)"
              error={err('privateKeyPem')}
              hint={secretKept && saved?.hasPrivateKey ? 'Leave empty to keep the saved key.' : 'An unencrypted PEM key (RSA 2048+, EC P-256 or P-384). Never shown again.'}
              badge={secretKept && saved?.hasPrivateKey && !server.privateKeyPem ? <span className="saved-badge">Key saved</span> : undefined}
            >
              {(props) => (
                <textarea {...props} rows={4} spellCheck={false} className="mono" placeholder="-----BEGIN PRIVATE KEY-----" value={server.privateKeyPem} onChange={(e) => onChange({ privateKeyPem: e.target.value })} />
              )}
            </Field>
          )}
        </div>
      )}

      {saved && server.authType === 'oauth' && saved.authType === 'oauth' && saved.url === server.url.trim() && (
        <OAuthConnection serverUrl={saved.url} serverName={title} onChanged={onConnectionChanged} />
      )}

      <div className="server-tools-area">
        {savedAs ? (
          <ServerTools tools={tools} error={listingError} loading={toolsLoading} />
        ) : (
          <p className="harness-hint">Save the harness to {server.authType === 'oauth' ? 'connect this server and ' : ''}list its tools.</p>
        )}
      </div>
    </fieldset>
  );
}
