import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/client';
import type { LoginProvider, Page } from '../api/types';
import { useSession } from '../app/session';
import { messageOf } from '../app/toasts';
import { Logo } from '../shell/Logo';
import './signin.css';

type Providers = { status: 'loading' } | { status: 'loaded'; items: LoginProvider[] } | { status: 'failed'; message: string };

/** Where the gateway's sign-in sends the browser back to: the path the visitor asked for (the gateway checks it too). */
function loginHref(provider: LoginProvider, returnTo: string): string {
  return `/auth/login/${encodeURIComponent(provider.id)}?returnTo=${encodeURIComponent(returnTo)}`;
}

/** A link with the button role answers Space like a button does. */
function activateOnSpace(e: KeyboardEvent<HTMLAnchorElement>) {
  if (e.key !== ' ') return;
  e.preventDefault();
  e.currentTarget.click();
}

/** Signed-out visitors see this on any path; signing in returns them to that path. */
export function SignInPage() {
  const { state } = useSession();
  const [location] = useLocation();
  const search = useSearch();
  const [providers, setProviders] = useState<Providers>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setProviders({ status: 'loading' });
    api<Page<LoginProvider>>('/v1/auth/providers', { signal: controller.signal, quiet401: true })
      .then((p) => setProviders({ status: 'loaded', items: p.items }))
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setProviders({ status: 'failed', message: messageOf(e) });
      });
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => {
    document.title = 'Sign in · Harness';
  }, []);

  const returnTo = location + (search ? `?${search}` : '');
  const expired = state.status === 'signed-out' && state.reason === 'expired';

  return (
    <main className="signin">
      <section className="signin-card" aria-labelledby="signin-title">
        <div className="signin-brand">
          <Logo size={44} />
          <span className="signin-product">Harness</span>
        </div>
        <h1 id="signin-title">Sign in to Harness</h1>
        <p className="signin-lead">Chat with your models, tools and MCP servers — all in one place.</p>
        {expired && (
          <p className="signin-notice" role="status">
            Your session has ended. Sign in again to continue where you left off.
          </p>
        )}
        {providers.status === 'loading' && (
          <p className="signin-loading" role="status">
            Loading sign-in options…
          </p>
        )}
        {providers.status === 'failed' && (
          <div className="signin-problem" role="alert">
            <p>
              <strong>The sign-in options could not be loaded.</strong> {providers.message}
            </p>
            <button type="button" onClick={retry}>
              Try again
            </button>
          </div>
        )}
        {providers.status === 'loaded' && providers.items.length === 0 && (
          <div className="signin-problem" role="alert">
            <p>
              <strong>No sign-in provider is configured.</strong> Ask the person who runs this Harness to set
              HARNESS_LOGIN_PROVIDERS.
            </p>
          </div>
        )}
        {providers.status === 'loaded' && providers.items.length > 0 && (
          <ul className="signin-providers">
            {providers.items.map((p) => (
              <li key={p.id}>
                <a role="button" className="button primary signin-provider" href={loginHref(p, returnTo)} onKeyDown={activateOnSpace}>
                  Sign in with {p.name}
                </a>
              </li>
            ))}
          </ul>
        )}
        <p className="signin-footnote">You will come back to the page you asked for.</p>
      </section>
    </main>
  );
}
