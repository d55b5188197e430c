import { safeCut, truncationMarker } from '@harness/contracts';

export { truncateChars, truncationMarker } from '@harness/contracts';

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
