import { mapToolResult, ToolOutput } from '../../src/tools/tool-result.js';

const limits = { modelChars: 10_000, storedBytes: 100_000 };
const base64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');
const byteSize = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
const markerPattern = /\n…\[truncated: \d+ more characters\]$/;

describe('mapToolResult', () => {
  it('passes text through', () => {
    const mapped = mapToolResult({ content: [{ type: 'text', text: 'hello' }] }, limits);
    expect(mapped).toEqual({
      ok: true,
      modelText: 'hello',
      output: { content: [{ type: 'text', text: 'hello' }] },
      truncated: false,
    });
  });

  it('describes images and audio to the model and keeps their data when small', () => {
    const image = { type: 'image', mimeType: 'image/png', data: base64(12_600) };
    const audio = { type: 'audio', mimeType: 'audio/wav', data: base64(100) };
    const mapped = mapToolResult({ content: [image, audio] }, limits);
    expect(mapped.modelText).toBe('[image: image/png, 12.3 KB]\n[audio: audio/wav, 100 B]');
    expect(mapped.output.content).toEqual([image, audio]);
    expect(mapped.truncated).toBe(false);
  });

  it('omits binary data larger than the storage limit', () => {
    const mapped = mapToolResult(
      { content: [{ type: 'image', mimeType: 'image/jpeg', data: base64(3 * 1024 * 1024) }] },
      { modelChars: 1000, storedBytes: 1000 },
    );
    expect(mapped.modelText).toBe('[image: image/jpeg, 3.0 MB]');
    expect(mapped.output.content).toEqual([{ type: 'image', mimeType: 'image/jpeg', bytes: 3 * 1024 * 1024, omitted: true }]);
    expect(mapped.truncated).toBe(true);
    expect(mapped.ok).toBe(true);
  });

  it('maps resource links and embedded resources', () => {
    const mapped = mapToolResult(
      {
        content: [
          { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt', mimeType: 'text/plain', icons: [] },
          { type: 'resource', resource: { uri: 'file:///b.md', mimeType: 'text/markdown', text: '# B' } },
          { type: 'resource', resource: { uri: 'file:///c.pdf', mimeType: 'application/pdf', blob: base64(2048) } },
        ],
      },
      limits,
    );
    expect(mapped.modelText).toBe('[resource: a.txt file:///a.txt]\n# B\n[resource: file:///c.pdf, application/pdf, 2.0 KB]');
    expect(mapped.output.content).toEqual([
      { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt', mimeType: 'text/plain' },
      { type: 'resource', uri: 'file:///b.md', mimeType: 'text/markdown', text: '# B' },
      { type: 'resource', uri: 'file:///c.pdf', mimeType: 'application/pdf', data: base64(2048) },
    ]);
  });

  it('marks unknown and malformed content items as unsupported', () => {
    const mapped = mapToolResult(
      { content: [{ type: 'video', url: 'x' }, { type: 'text', text: 5 }, null, 'str', {}] },
      limits,
    );
    expect(mapped.modelText).toBe(
      [
        '[unsupported content: video]',
        '[unsupported content: text]',
        '[unsupported content: null]',
        '[unsupported content: string]',
        '[unsupported content: unknown]',
      ].join('\n'),
    );
    expect(mapped.ok).toBe(true);
    expect(mapped.output.content[0]).toEqual({ type: 'unsupported', contentType: 'video' });
  });

  it('joins mixed content in order', () => {
    const mapped = mapToolResult(
      {
        content: [
          { type: 'text', text: 'first' },
          { type: 'image', mimeType: 'image/gif', data: base64(10) },
          { type: 'text', text: 'second' },
        ],
        structuredContent: { n: 1 },
      },
      limits,
    );
    expect(mapped.modelText).toBe('first\n[image: image/gif, 10 B]\nsecond');
    expect(mapped.output.structuredContent).toEqual({ n: 1 });
  });

  it('gives the model structured content when there is no text', () => {
    const mapped = mapToolResult({ structuredContent: { temperature: 21.5, unit: 'C' } }, limits);
    expect(mapped).toEqual({
      ok: true,
      modelText: '{"temperature":21.5,"unit":"C"}',
      output: { content: [], structuredContent: { temperature: 21.5, unit: 'C' } },
      truncated: false,
    });
  });

  it('says so when there is no content at all', () => {
    expect(mapToolResult({ content: [] }, limits).modelText).toBe('[the tool returned no content]');
  });

  it('reports isError with the joined text', () => {
    const mapped = mapToolResult(
      { isError: true, content: [{ type: 'text', text: 'not found' }, { type: 'text', text: 'try again' }] },
      limits,
    );
    expect(mapped.ok).toBe(false);
    expect(mapped.errorText).toBe('not found\ntry again');
    expect(mapped.modelText).toBe('not found\ntry again');
    expect(mapped.output.isError).toBe(true);
  });

  it('reports isError without text with a default message', () => {
    const mapped = mapToolResult({ isError: true, content: [] }, limits);
    expect(mapped).toMatchObject({ ok: false, errorText: 'the tool reported an error', modelText: 'the tool reported an error' });
  });

  it('cuts huge text to both limits with a visible marker', () => {
    const text = 'x'.repeat(1_000_000);
    const small = { modelChars: 500, storedBytes: 2000 };
    const mapped = mapToolResult({ content: [{ type: 'text', text }], structuredContent: { ok: true } }, small);
    expect(mapped.truncated).toBe(true);
    expect(mapped.modelText.length).toBeLessThanOrEqual(500);
    expect(mapped.modelText).toMatch(markerPattern);
    expect(mapped.modelText).toMatch(/^x+\n…\[truncated: 999\d{3} more characters\]$/);
    expect(byteSize(mapped.output)).toBeLessThanOrEqual(2000);
    expect(byteSize(mapped.output)).toBeGreaterThan(1900);
    const stored = mapped.output.content[0] as { text: string };
    expect(stored.text).toMatch(markerPattern);
    const kept = stored.text.indexOf('\n…');
    expect(stored.text).toContain(`[truncated: ${text.length - kept} more characters]`);
    expect(mapped.output.structuredContent).toEqual({ ok: true });
  });

  it('drops binary data before cutting text', () => {
    const mapped = mapToolResult(
      {
        content: [
          { type: 'text', text: 'y'.repeat(3000) },
          { type: 'image', mimeType: 'image/png', data: base64(3000) },
        ],
      },
      { modelChars: 10_000, storedBytes: 5000 },
    );
    expect(mapped.output.content).toEqual([
      { type: 'text', text: 'y'.repeat(3000) },
      { type: 'image', mimeType: 'image/png', bytes: 3000, omitted: true },
    ]);
    expect(mapped.truncated).toBe(true);
    expect(mapped.modelText.startsWith('y'.repeat(3000))).toBe(true);
  });

  it('counts stored size in UTF-8 bytes of JSON, escapes included', () => {
    const text = '€"\n'.repeat(5000);
    const mapped = mapToolResult({ content: [{ type: 'text', text }] }, { modelChars: 100_000, storedBytes: 3000 });
    expect(byteSize(mapped.output)).toBeLessThanOrEqual(3000);
    expect((mapped.output.content[0] as { text: string }).text).toMatch(markerPattern);
    expect(mapped.modelText).toBe(text);
  });

  it('cuts structured content last, as JSON text', () => {
    const structuredContent = { rows: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `row ${i}` })) };
    const mapped = mapToolResult({ structuredContent }, { modelChars: 300, storedBytes: 1000 });
    const output: ToolOutput = mapped.output;
    expect(output.structuredContent).toBeUndefined();
    expect(output.structuredContentTruncated).toMatch(/^\{"rows":\[\{"id":0,"name":"row 0"\}/);
    expect(output.structuredContentTruncated).toMatch(markerPattern);
    expect(byteSize(output)).toBeLessThanOrEqual(1000);
    expect(mapped.modelText.length).toBeLessThanOrEqual(300);
    expect(mapped.truncated).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(1000);
    for (const modelChars of [100, 101, 102, 103]) {
      for (const storedBytes of [300, 301, 302, 303]) {
        const mapped = mapToolResult({ content: [{ type: 'text', text }] }, { modelChars, storedBytes });
        const stored = (mapped.output.content[0] as { text: string }).text;
        for (const cut of [mapped.modelText, stored]) {
          const kept = cut.slice(0, cut.indexOf('\n…'));
          expect(kept).toBe('😀'.repeat(kept.length / 2));
          expect(cut).toMatch(markerPattern);
        }
        expect(mapped.modelText.length).toBeLessThanOrEqual(modelChars);
        expect(byteSize(mapped.output)).toBeLessThanOrEqual(storedBytes);
      }
    }
  });

  it.each([
    [null, 'the MCP tool result is not an object'],
    ['text', 'the MCP tool result is not an object'],
    [42, 'the MCP tool result is not an object'],
    [[{ type: 'text', text: 'x' }], 'the MCP tool result is not an object'],
    [{ content: 'x' }, 'the MCP tool result has no content array'],
    [{ content: { type: 'text' } }, 'the MCP tool result has no content array'],
  ])('reports a malformed result %p without throwing', (result, errorText) => {
    const mapped = mapToolResult(result, limits);
    expect(mapped.ok).toBe(false);
    expect(mapped.errorText).toBe(errorText);
    expect(mapped.modelText).toBe(errorText);
    expect(mapped.output).toEqual({ content: [], error: errorText });
  });

  it('replaces everything with an error note when even the cut output does not fit', () => {
    const content = Array.from({ length: 200 }, (_, i) => ({ type: 'resource_link', uri: `file:///${i}`, name: `${i}` }));
    const mapped = mapToolResult({ content }, { modelChars: 10_000, storedBytes: 500 });
    expect(mapped.output.content).toEqual([]);
    expect(mapped.output.error).toMatch(/exceeds the storage limit/);
    expect(byteSize(mapped.output)).toBeLessThanOrEqual(500);
    expect(mapped.truncated).toBe(true);
  });
});
