import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { LoginProvider, Page } from '../api/types';

/** Signed-out visitors see this on any path; signing in returns them to it. */
export function SignInPage() {
  const [providers, setProviders] = useState<LoginProvider[] | null>(null);
  useEffect(() => {
    api<Page<LoginProvider>>('/v1/auth/providers').then((p) => setProviders(p.items)).catch(() => setProviders([]));
  }, []);
  const returnTo = window.location.pathname + window.location.search;
  return (
    <main className="signin">
      <h1>Sign in to Harness</h1>
      {providers?.map((p) => (
        <a key={p.id} role="button" className="button" href={`/auth/login/${encodeURIComponent(p.id)}?returnTo=${encodeURIComponent(returnTo)}`}>
          Sign in with {p.name}
        </a>
      ))}
    </main>
  );
}
