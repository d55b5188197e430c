import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useLocation } from 'wouter';
import { routes } from '../app/App';
import { useMe, useSession } from '../app/session';
import { useToasts } from '../app/toasts';
import { ChevronDownIcon } from './icons';

/** The signed-in user's menu (menu button pattern: arrows move, Esc closes, focus returns to the button). */
export function UserMenu() {
  const me = useMe();
  const { signOut, signOutEverywhere } = useSession();
  const toasts = useToasts();
  const [, navigate] = useLocation();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const items = () => Array.from(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onPointer = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!menu.current?.contains(t) && !button.current?.contains(t)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const all = items();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const move = (i: number) => {
      e.preventDefault();
      all[(i + all.length) % all.length]?.focus();
    };
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(all.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Tab') setOpen(false);
  };

  const run = async (action: () => Promise<void>) => {
    setOpen(false);
    try {
      await action();
      navigate(routes.home, { replace: true });
    } catch (e) {
      toasts.error(e);
    }
  };

  const initial = (me.name.trim()[0] ?? '?').toUpperCase();
  return (
    <div className="user-menu">
      <button
        ref={button}
        type="button"
        className="user-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span className="avatar" aria-hidden="true">
          {initial}
        </span>
        <span className="user-name">{me.name}</span>
        <ChevronDownIcon />
      </button>
      {open && (
        <div ref={menu} className="menu-popover">
          <div className="menu-header">
            <span className="menu-name">{me.name}</span>
            {me.email && <span className="menu-email">{me.email}</span>}
          </div>
          <div id={menuId} role="menu" aria-label={me.name} className="menu" onKeyDown={onMenuKey}>
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => void run(signOut)}>
            Sign out
          </button>
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => void run(signOutEverywhere)}>
            Sign out everywhere
          </button>
          </div>
        </div>
      )}
    </div>
  );
}
