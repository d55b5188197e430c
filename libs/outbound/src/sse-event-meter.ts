const CR = 0x0d;
const LF = 0x0a;

/**
 * Sizes of the SSE events of a stream, chunk by chunk: an event ends at an empty line, and a line ends with CRLF, LF
 * or CR (as the SSE parser reads it).
 */
export class SseEventMeter {
  /** Bytes of the event under way (its line ends included). */
  private current = 0;
  private atLineStart = true;
  /** The previous byte was a CR: a LF now belongs to the same line end (counted with the event the CR was counted with). */
  private afterCR: 'line' | 'event' | false = false;

  /** Feeds the next chunk; the largest event size seen in it (an event under way counts with what it has so far). */
  largestAfter(chunk: Uint8Array): number {
    let largest = this.current;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const afterCR = this.afterCR;
      this.afterCR = false;
      if (afterCR && byte === LF) {
        if (afterCR === 'line') this.current++;
      } else if (byte === CR || byte === LF) {
        if (this.atLineStart) {
          // An empty line: the event ends, the next one starts after it.
          this.current = 0;
          if (byte === CR) this.afterCR = 'event';
          continue;
        }
        this.atLineStart = true;
        if (byte === CR) this.afterCR = 'line';
        this.current++;
      } else {
        this.atLineStart = false;
        this.current++;
      }
      if (this.current > largest) largest = this.current;
    }
    return largest;
  }
}
