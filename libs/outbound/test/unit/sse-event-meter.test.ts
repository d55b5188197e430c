import { SseEventMeter } from '../../src/sse-event-meter.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('SseEventMeter', () => {
  it('measures each event from one blank line to the next, line ends included', () => {
    const meter = new SseEventMeter();
    // "data: abc\n" is 10 bytes; the blank line ends the event and is not counted in the next one.
    expect(meter.largestAfter(bytes('data: abc\n\n'))).toBe(10);
    expect(meter.largestAfter(bytes('data: a\n\n'))).toBe(8);
    expect(meter.largestAfter(bytes('id: 1\ndata: 12345\n\n'))).toBe(18);
  });

  it('accepts LF, CRLF and CR line ends alike', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const meter = new SseEventMeter();
      const event = `data: ${'x'.repeat(20)}${nl}`;
      expect(meter.largestAfter(bytes(`${event}${nl}${event}${nl}${event}${nl}`))).toBe(event.length);
    }
  });

  it('carries an event across chunks, even a CRLF split between two', () => {
    const meter = new SseEventMeter();
    expect(meter.largestAfter(bytes('data: 1234'))).toBe(10);
    expect(meter.largestAfter(bytes('5678\r'))).toBe(15);
    expect(meter.largestAfter(bytes('\ndata: x\r'))).toBe(24);
    // "\r" then "\n" in the next chunk is one line end, then a blank line ends the event.
    expect(meter.largestAfter(bytes('\n\r\n'))).toBe(25);
    expect(meter.largestAfter(bytes('data: y\n\n'))).toBe(8);
  });

  it('counts an event that never ends without bound, and a stream of small events never grows', () => {
    const meter = new SseEventMeter();
    let largest = 0;
    for (let i = 0; i < 1000; i++) largest = meter.largestAfter(bytes(`data: ${i}\n\n`));
    expect(largest).toBeLessThan(12);
    const chunk = bytes('a'.repeat(1024));
    meter.largestAfter(bytes('data: '));
    for (let i = 0; i < 100; i++) largest = meter.largestAfter(chunk);
    expect(largest).toBe(6 + 100 * 1024);
  });
});
