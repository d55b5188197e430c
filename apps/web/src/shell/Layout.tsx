import type { ReactNode } from 'react';
import { Link } from 'wouter';

export function Layout({ children }: { children: ReactNode }) {
  return (
    <div className="layout">
      <header className="topbar">
        <Link href="/">Harness</Link>
        <Link href="/harnesses">Harnesses</Link>
      </header>
      <nav aria-label="Conversations" />
      <main className="content">{children}</main>
    </div>
  );
}
