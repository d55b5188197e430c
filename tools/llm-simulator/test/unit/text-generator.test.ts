import { countTokens, generateWords, splitFixed, splitIntoTokens } from '../../src/text-generator.js';

describe('countTokens', () => {
  it('is Math.ceil(chars / 4)', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('a')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    expect(countTokens('x'.repeat(400))).toBe(100);
  });
});

describe('splitIntoTokens', () => {
  it('keeps short words whole with their leading whitespace and reassembles exactly', () => {
    expect(splitIntoTokens('Echo: hi there')).toEqual(['Echo:', ' hi', ' there']);
    expect(splitIntoTokens('')).toEqual([]);
    for (const s of ['  lead and trail  ', 'a\nb\n\nc', 'supercalifragilistic word', 'emoji 😀😀😀😀😀😀 ok', ' ']) {
      expect(splitIntoTokens(s).join('')).toBe(s);
    }
  });

  it('cuts long words into 4-character pieces without splitting surrogate pairs', () => {
    expect(splitIntoTokens('abcdefghij')).toEqual(['abcd', 'efgh', 'ij']);
    const pieces = splitIntoTokens('😀😀😀😀😀😀😀');
    expect(pieces).toEqual(['😀😀😀😀', '😀😀😀']);
  });
});

describe('splitFixed', () => {
  it('splits into fixed-size code-point slices', () => {
    expect(splitFixed('{"a":12}', 4)).toEqual(['{"a"', ':12}']);
    expect(splitFixed('', 4)).toEqual([]);
  });
});

describe('generateWords', () => {
  it('is deterministic per seed and produces exactly N words', () => {
    expect(generateWords(0, 'x')).toBe('');
    const a = generateWords(25, 'prompt');
    expect(a).toBe(generateWords(25, 'prompt'));
    expect(a).not.toBe(generateWords(25, 'other prompt'));
    expect(a.split(' ')).toHaveLength(25);
    expect(a.endsWith('.')).toBe(true);
    expect(a[0]).toBe(a[0].toUpperCase());
  });
});
