import { useCallback, useEffect, useRef, useState } from 'react';
import { useToasts } from '../app/toasts';
import { oauthApi, type OAuthConnection as Connection } from './api';
import { connectInPopup, openBlankPopup } from './oauthPopup';

interface Props {
  serverUrl: string;
  serverName: string;
  /** Called after a connect or disconnect: the server's tools change with it. */
  onChanged(): void;
}

const STATUS_LABELS: Record<Connection['status'], string> = {
  connected: 'Connected',
  disconnected: 'Not connected',
  expired: 'Expired',
  error: 'Connection error',
};

const expiryText = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : `Token valid until ${d.toLocaleString()}`;
};

/** The user's OAuth connection to one server: live status, Connect (popup) and Disconnect. */
export function OAuthConnection({ serverUrl, serverName, onChanged }: Props) {
  const toasts = useToasts();
  const [connection, setConnection] = useState<Connection | null>(null);
  const [busy, setBusy] = useState<'connecting' | 'disconnecting' | null>(null);
  const flow = useRef<AbortController | null>(null);

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setConnection(await oauthApi.status(serverUrl, signal));
      } catch (e) {
        toasts.error(e);
      }
    },
    [serverUrl, toasts],
  );

  useEffect(() => {
    const controller = new AbortController();
    void refresh(controller.signal);
    const onFocus = () => void refresh(controller.signal);
    window.addEventListener('focus', onFocus);
    return () => {
      controller.abort();
      window.removeEventListener('focus', onFocus);
    };
  }, [refresh]);

  useEffect(() => () => flow.current?.abort(), []);

  const connect = async () => {
    let popup: Window;
    try {
      popup = openBlankPopup();
    } catch (e) {
      toasts.error(e);
      return;
    }
    const controller = new AbortController();
    flow.current = controller;
    setBusy('connecting');
    try {
      const outcome = await connectInPopup(popup, serverUrl, controller.signal);
      if (controller.signal.aborted) return;
      if (outcome.kind === 'connected') toasts.info(`Connected to ${serverName}.`);
      else if (outcome.kind === 'error') toasts.error(new Error(outcome.message));
      else toasts.info(`The sign-in window was closed before ${serverName} was connected.`);
      await refresh();
      if (outcome.kind === 'connected') onChanged();
    } catch (e) {
      toasts.error(e);
    } finally {
      if (flow.current === controller) flow.current = null;
      setBusy(null);
    }
  };

  const disconnect = async () => {
    setBusy('disconnecting');
    try {
      await oauthApi.disconnect(serverUrl);
      await refresh();
      toasts.info(`Disconnected from ${serverName}.`);
      onChanged();
    } catch (e) {
      toasts.error(e);
    } finally {
      setBusy(null);
    }
  };

  const status = connection?.status;
  return (
    <div className="oauth-connection">
      <div className="oauth-status" role="status" aria-live="polite">
        <span className={`status-dot status-${status ?? 'loading'}`} aria-hidden="true" />
        <span className="oauth-status-label">
          {busy === 'connecting' ? 'Waiting for authorization…' : status ? STATUS_LABELS[status] : 'Checking connection…'}
        </span>
        {status === 'connected' && connection?.scopes && connection.scopes.length > 0 && (
          <span className="oauth-scopes">
            <span className="visually-hidden">Scopes: </span>
            {connection.scopes.map((s) => (
              <code key={s} className="scope-chip">
                {s}
              </code>
            ))}
          </span>
        )}
      </div>
      {status === 'connected' && connection?.expiresAt && <p className="harness-hint">{expiryText(connection.expiresAt)}</p>}
      <div className="oauth-actions">
        {status === 'connected' ? (
          <button type="button" onClick={() => void disconnect()} disabled={busy !== null}>
            {busy === 'disconnecting' ? 'Disconnecting…' : 'Disconnect'}
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void connect()} disabled={busy !== null || status === undefined} aria-busy={busy === 'connecting'}>
            Connect
          </button>
        )}
      </div>
    </div>
  );
}
