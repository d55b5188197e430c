/** The product mark (the favicon's drawing), decorative: the product name is always next to it. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M9 8v16M23 8v16M9 16h14" stroke="var(--accent-fg)" strokeWidth="3.2" strokeLinecap="round" fill="none" />
    </svg>
  );
}
