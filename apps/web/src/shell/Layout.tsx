import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { routes } from '../app/App';
import { useSettings } from '../app/settings';
import { ConversationListProvider } from './conversation-list';
import { ConversationNav } from './ConversationNav';
import { DisplayModeControl } from './DisplayModeControl';
import { HarnessChoiceProvider } from './harness-choice';
import { CloseIcon, MenuIcon } from './icons';
import { Logo } from './Logo';
import { NewConversationPanel } from './NewConversationPanel';
import { useShortcuts } from './use-shortcuts';
import { UserMenu } from './UserMenu';
import './shell.css';

/** The signed-in frame: header, the conversations sidebar (a drawer on narrow screens; hidden in zen) and the page. */
export function Layout({ children }: { children: ReactNode }) {
  return (
    <HarnessChoiceProvider>
      <ConversationListProvider>
        <Frame>{children}</Frame>
      </ConversationListProvider>
    </HarnessChoiceProvider>
  );
}

function Frame({ children }: { children: ReactNode }) {
  const { displayMode } = useSettings();
  const zen = displayMode === 'zen';
  const [location] = useLocation();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  useShortcuts();

  const closeButton = useRef<HTMLButtonElement>(null);
  const closeDrawer = (refocus: boolean) => {
    setDrawerOpen(false);
    if (refocus) toggle.current?.focus();
  };

  // A chosen conversation (or any navigation) closes the drawer.
  useEffect(() => setDrawerOpen(false), [location]);

  useEffect(() => {
    if (!drawerOpen) return;
    closeButton.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      // A modal dialog (delete) over the drawer takes its own Esc.
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      setDrawerOpen(false);
      toggle.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [drawerOpen]);

  return (
    <div className={`app-shell${zen ? ' zen' : ''}${drawerOpen ? ' drawer-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        {!zen && (
          <>
            <button
              ref={toggle}
              type="button"
              className="icon-button drawer-toggle"
              aria-expanded={drawerOpen}
              aria-controls="sidebar"
              onClick={() => setDrawerOpen((o) => !o)}
            >
              <MenuIcon />
              <span className="visually-hidden">Conversations</span>
            </button>
            <Link href={routes.home} className="brand">
              <Logo size={24} />
              <span>Harness</span>
            </Link>
            <Link href={routes.harnesses} className="topbar-link" aria-current={location.startsWith('/harnesses') ? 'page' : undefined}>
              Harnesses
            </Link>
          </>
        )}
        <div className="topbar-modes">
          <DisplayModeControl />
        </div>
        {!zen && <UserMenu />}
      </header>
      {!zen && (
        <>
          <nav id="sidebar" className="sidebar" aria-label="Conversations">
            <div className="drawer-head">
              <span className="brand">
                <Logo size={24} />
                <span>Harness</span>
              </span>
              <button ref={closeButton} type="button" className="icon-button" aria-label="Close" title="Close" onClick={() => closeDrawer(true)}>
                <CloseIcon />
              </button>
            </div>
            <NewConversationPanel />
            <ConversationNav />
          </nav>
          {drawerOpen && <div className="drawer-backdrop" aria-hidden="true" onClick={() => closeDrawer(false)} />}
        </>
      )}
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
