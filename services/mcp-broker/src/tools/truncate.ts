export function truncationMarker(omitted: number): string {
  return `\n…[truncated: ${omitted} more characters]`;
}

/** Never cut between the halves of a surrogate pair. */
function safeCut(text: string, end: number): number {
  if (end > 0 && end < text.length) {
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) return end - 1;
  }
  return end;
}

/**
 * Cuts `text` so that the kept part plus the marker has at most `maxChars` UTF-16 units. If even the marker does
 * not fit, the marker alone is returned.
 */
export function truncateChars(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  // The marker for the largest possible count is at least as long as the real one.
  const kept = safeCut(text, Math.max(0, maxChars - truncationMarker(text.length).length));
  return { text: text.slice(0, kept) + truncationMarker(text.length - kept), truncated: true };
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * Cuts `text` so that its JSON string literal (quotes and escapes included) plus the marker takes at most `maxBytes`
 * UTF-8 bytes. Returns null when even an empty kept part does not fit.
 */
export function truncateJsonBytes(text: string, maxBytes: number): string | null {
  const fits = (kept: number): boolean =>
    jsonBytes(text.slice(0, kept) + truncationMarker(text.length - kept)) <= maxBytes;
  if (!fits(0)) return null;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  let kept = safeCut(text, lo);
  // Stepping back over a surrogate can lengthen the count in the marker by a digit.
  while (kept > 0 && !fits(kept)) kept = safeCut(text, kept - 1);
  return text.slice(0, kept) + truncationMarker(text.length - kept);
}
