/**
 * Deterministic text helpers: token counting (~4 chars per token), splitting text into stream pieces,
 * and seeded word generation.
 */

/** Deterministic token estimate: `Math.ceil(chars / 4)` (chars = UTF-16 code units). */
export function countTokens(text: string): number {
  return tokensForChars(text.length);
}

/** Tokens for a character count: `Math.ceil(chars / 4)`. */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Longest piece (in code points) kept whole; longer words are cut into 4-code-point slices. */
const MAX_WHOLE_PIECE = 6;

/**
 * Splits text into stream pieces, each roughly one token: a word together with its leading whitespace,
 * or 4-character slices of longer words. Concatenating the pieces gives back exactly `text`.
 */
export function splitIntoTokens(text: string): string[] {
  const out: string[] = [];
  const len = text.length;
  let start = 0;
  while (start < len) {
    // a piece = leading whitespace + one run of non-whitespace (or trailing whitespace alone)
    let i = start;
    while (i < len && isSpace(text.charCodeAt(i))) i++;
    while (i < len && !isSpace(text.charCodeAt(i))) i++;
    if (i - start <= MAX_WHOLE_PIECE) {
      out.push(text.slice(start, i));
    } else {
      pushSlices(out, text.slice(start, i), 4);
    }
    start = i;
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Pushes `size`-code-point slices of `piece` (never splits a surrogate pair). */
function pushSlices(out: string[], piece: string, size: number): void {
  let i = 0;
  while (i < piece.length) {
    let j = i;
    for (let k = 0; k < size && j < piece.length; k++) {
      const c = piece.charCodeAt(j);
      j += c >= 0xd800 && c <= 0xdbff && j + 1 < piece.length ? 2 : 1;
    }
    out.push(piece.slice(i, j));
    i = j;
  }
}

/** Splits a string into fixed-size slices of `size` code points (used for tool-call argument fragments). */
export function splitFixed(text: string, size = 4): string[] {
  const out: string[] = [];
  pushSlices(out, text, size);
  return out;
}

/** FNV-1a 32-bit hash of a string: the seed for generated words. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the', 'quick', 'simulated', 'model', 'answers', 'with', 'deterministic', 'words', 'about', 'streams',
  'tokens', 'latency', 'harness', 'message', 'context', 'reason', 'because', 'every', 'request', 'gets',
  'a', 'stable', 'reply', 'so', 'tests', 'can', 'assert', 'exact', 'output', 'and', 'timing', 'while',
  'chunks', 'arrive', 'in', 'order', 'over', 'plain', 'http', 'server', 'sent', 'events', 'then', 'finish',
  'cleanly', 'without', 'surprises', 'or', 'flaky', 'behaviour', 'when', 'clients', 'abort', 'early', 'it',
  'records', 'usage', 'cost', 'for', 'each', 'generation', 'of', 'text', 'tools',
];

/** `count` deterministic words seeded by `seed` (a string is hashed), first one capitalised, ending with a period. */
export function generateWords(count: number, seed: string | number): string {
  if (count <= 0) return '';
  const rnd = prng(typeof seed === 'number' ? seed : hashSeed(seed));
  const words: string[] = new Array(count);
  for (let i = 0; i < count; i++) words[i] = WORDS[Math.floor(rnd() * WORDS.length)];
  words[0] = words[0].charAt(0).toUpperCase() + words[0].slice(1);
  return words.join(' ') + '.';
}
