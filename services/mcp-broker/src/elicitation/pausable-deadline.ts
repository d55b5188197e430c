/**
 * A tool call's timeout that stops counting while the call waits on the user (an elicitation is pending): the time
 * the user takes is bounded by the elicitation's own timeout, not charged to the tool.
 */
export class PausableDeadline {
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private pauses = 0;
  private done = false;

  constructor(
    private remainingMs: number,
    private readonly onExpire: () => void,
  ) {
    this.start();
  }

  /** Nested pauses (parallel elicitations of one call) resume when the last one ends. */
  pause(): void {
    if (this.done || this.pauses++ > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.remainingMs = Math.max(0, this.remainingMs - (Date.now() - this.startedAt));
  }

  resume(): void {
    if (this.done || this.pauses === 0 || --this.pauses > 0) return;
    this.start();
  }

  clear(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private start(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.done = true;
      this.onExpire();
    }, this.remainingMs);
  }
}
