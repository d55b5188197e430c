// Connecting an OAuth MCP server in a popup (docs/web.md "Harness editor"). The popup is opened synchronously in the
// click handler (about:blank), so popup blockers allow it; it is sent to the authorization URL once `start` answers.
// The gateway's callback page posts `{type: "harness:mcp-oauth", status, serverUrl, message, nonce}` to this origin
// and closes. Only a message from this origin, from this very popup, with this flow's nonce is believed.
import { httpUrlOrNull } from '../api/urls';
import { oauthApi } from './api';

export const OAUTH_MESSAGE_TYPE = 'harness:mcp-oauth';

export type PopupOutcome =
  | { kind: 'connected' }
  | { kind: 'error'; message: string }
  /** The popup was closed (or abandoned) before the callback page answered. */
  | { kind: 'closed' };

/** How often `popup.closed` is checked (the only sign of a popup closed by the user). */
const CLOSED_POLL_MS = 400;
/** A flow nobody finishes is given up after this long (the server's state expires after 10 minutes by default). */
const FLOW_TIMEOUT_MS = 15 * 60_000;

export class PopupBlockedError extends Error {
  constructor() {
    super('The browser blocked the sign-in window. Allow popups for Harness and try again.');
  }
}

/** Opens an empty popup; call it synchronously from the click. */
export function openBlankPopup(): Window {
  const width = 520;
  const height = 680;
  const left = Math.max(0, window.screenX + (window.outerWidth - width) / 2);
  const top = Math.max(0, window.screenY + (window.outerHeight - height) / 3);
  const popup = window.open('about:blank', '_blank', `popup=yes,width=${width},height=${height},left=${left},top=${top}`);
  if (!popup) throw new PopupBlockedError();
  return popup;
}

interface CallbackMessage {
  type: string;
  status: 'connected' | 'error';
  message?: string | null;
  nonce: string;
}

/** Whether `event` is the callback page's message for this flow (and not a forgery from any other window or origin). */
export function isFlowMessage(event: MessageEvent, popup: Window, nonce: string): boolean {
  if (event.origin !== window.location.origin || event.source !== popup) return false;
  const data = event.data as Partial<CallbackMessage> | null;
  return typeof data === 'object' && data !== null && data.type === OAUTH_MESSAGE_TYPE && typeof data.nonce === 'string' && data.nonce === nonce;
}

/** Waits for the flow's message, or the popup's closing, or `signal`. Always cleans up its listener and timer. */
function awaitCallback(popup: Window, nonce: string, signal: AbortSignal): Promise<PopupOutcome> {
  return new Promise((resolve) => {
    let closedSeen = false;
    const finish = (outcome: PopupOutcome) => {
      window.removeEventListener('message', onMessage);
      window.clearInterval(poll);
      window.clearTimeout(timeout);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onMessage = (event: MessageEvent) => {
      if (!isFlowMessage(event, popup, nonce)) return;
      const data = event.data as CallbackMessage;
      if (!popup.closed) popup.close();
      finish(data.status === 'connected' ? { kind: 'connected' } : { kind: 'error', message: data.message || 'The authorization failed.' });
    };
    // The callback page posts and then closes: a message already queued is given one more tick before "closed" counts.
    const poll = window.setInterval(() => {
      if (!popup.closed) return;
      if (closedSeen) finish({ kind: 'closed' });
      closedSeen = true;
    }, CLOSED_POLL_MS);
    const onAbort = () => {
      if (!popup.closed) popup.close();
      finish({ kind: 'closed' });
    };
    const timeout = window.setTimeout(onAbort, FLOW_TIMEOUT_MS);
    window.addEventListener('message', onMessage);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs the flow in `popup` (already open): start, navigate the popup, wait for its answer. */
export async function connectInPopup(popup: Window, serverUrl: string, signal: AbortSignal): Promise<PopupOutcome> {
  let started;
  try {
    started = await oauthApi.start(serverUrl);
  } catch (e) {
    popup.close();
    throw e;
  }
  if (started.status === 'connected') {
    // Cross-App Access: connected without a consent screen, nothing to show.
    popup.close();
    return { kind: 'connected' };
  }
  if (popup.closed || signal.aborted) return { kind: 'closed' };
  if (!httpUrlOrNull(started.authorizationUrl)) {
    popup.close();
    throw new Error('The authorization URL is not an http(s) URL.');
  }
  const waiting = awaitCallback(popup, started.nonce, signal);
  popup.location.href = started.authorizationUrl;
  return waiting;
}
