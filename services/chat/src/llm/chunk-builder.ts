import type { UiChunk } from '@harness/contracts';

/**
 * Turns provider deltas into UI message stream chunks with every text and reasoning part bracketed by its
 * `-start`/`-end` chunks, in the order they happened (the AI SDK reader requires the brackets).
 */
export class ChunkBuilder {
  private open: { kind: 'text' | 'reasoning'; id: string } | null = null;
  private counter = 0;
  private readonly tools = new Map<number, { id: string; name: string; args: string; started: boolean }>();

  constructor(private readonly prefix: string) {}

  reasoning(delta: string): UiChunk[] {
    return delta ? [...this.switchTo('reasoning'), { type: 'reasoning-delta', id: this.open!.id, delta }] : [];
  }

  text(delta: string): UiChunk[] {
    return delta ? [...this.switchTo('text'), { type: 'text-delta', id: this.open!.id, delta }] : [];
  }

  toolCall(index: number, id: string | undefined, name: string | undefined, argsDelta: string | undefined): UiChunk[] {
    const out = this.closeOpen();
    let t = this.tools.get(index);
    if (!t) {
      t = { id: id ?? `${this.prefix}-call-${index}`, name: name ?? '', args: '', started: false };
      this.tools.set(index, t);
    }
    if (name && !t.name) t.name = name;
    if (!t.started && t.name) {
      t.started = true;
      out.push({ type: 'tool-input-start', toolCallId: t.id, toolName: t.name, dynamic: true });
      if (t.args) out.push({ type: 'tool-input-delta', toolCallId: t.id, inputTextDelta: t.args });
    }
    if (argsDelta) {
      t.args += argsDelta;
      if (t.started) out.push({ type: 'tool-input-delta', toolCallId: t.id, inputTextDelta: argsDelta });
    }
    return out;
  }

  /** Closes open parts and makes every streamed tool call available; returns the calls for the tool loop. */
  endStep(): { chunks: UiChunk[]; calls: { toolCallId: string; toolName: string; input: unknown; argumentsText: string }[] } {
    const chunks = this.closeOpen();
    const calls = [];
    for (const [index, t] of [...this.tools.entries()].sort((a, b) => a[0] - b[0])) {
      const name = t.name || 'unknown_tool';
      if (!t.started) chunks.push({ type: 'tool-input-start', toolCallId: t.id, toolName: name, dynamic: true });
      const input = parseArgs(t.args);
      chunks.push({ type: 'tool-input-available', toolCallId: t.id, toolName: name, input, dynamic: true });
      calls.push({ toolCallId: t.id, toolName: name, input, argumentsText: t.args || '{}' });
      void index;
    }
    this.tools.clear();
    return { chunks, calls };
  }

  closeOpen(): UiChunk[] {
    if (!this.open) return [];
    const { kind, id } = this.open;
    this.open = null;
    return [kind === 'text' ? { type: 'text-end', id } : { type: 'reasoning-end', id }];
  }

  private switchTo(kind: 'text' | 'reasoning'): UiChunk[] {
    if (this.open?.kind === kind) return [];
    const out = this.closeOpen();
    const id = `${this.prefix}-${kind === 'text' ? 't' : 'r'}${++this.counter}`;
    this.open = { kind, id };
    out.push(kind === 'text' ? { type: 'text-start', id } : { type: 'reasoning-start', id });
    return out;
  }
}

function parseArgs(text: string): unknown {
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { _invalidJson: text };
  }
}
