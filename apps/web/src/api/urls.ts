/** `url` when it is an absolute http(s) URL, else null: a server-supplied link must never be `javascript:` or `data:`. */
export function httpUrlOrNull(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    return /^https?:$/.test(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}
