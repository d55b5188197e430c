import { useEffect, useState } from 'react';
import { CLIENT_HEADERS } from '../api/client';
import { conversationPath } from './conversation-api';
import { Disclosure } from './parts/Disclosure';

const MAX_CHUNKS = 2_000;
const MAX_CHUNK_CHARS = 600;
const SCAN_TIMEOUT_MS = 15_000;

interface RawEvent {
  seq: string;
  json: string;
}

/**
 * Reads the conversation's stored events from the start and keeps those of this message's run (its `start` to its
 * terminal chunk), then stops reading. Bounded: at most MAX_CHUNKS chunks, each cut at MAX_CHUNK_CHARS.
 */
interface RunEvents {
  events: RawEvent[];
  complete: boolean;
  runId?: string;
}

async function readRunEvents(conversationId: string, messageId: string, signal: AbortSignal): Promise<RunEvents> {
  const res = await fetch(`${conversationPath(conversationId)}/events?after=0`, {
    headers: { ...CLIENT_HEADERS, Accept: 'text/event-stream' },
    credentials: 'same-origin',
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`The events could not be read (${res.status}).`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: RawEvent[] = [];
  let inRun = false;
  let buffer = '';
  let seq = '';
  let runId: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { events, complete: false, runId };
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('id:')) seq = line.slice(3).trim();
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        let chunk: { type?: string; messageId?: string; messageMetadata?: { runId?: unknown } };
        try {
          chunk = JSON.parse(data);
        } catch {
          continue;
        }
        if (chunk.type === 'start') inRun = chunk.messageId === messageId;
        if (!inRun) continue;
        if (chunk.type === 'start' && typeof chunk.messageMetadata?.runId === 'string') runId = chunk.messageMetadata.runId;
        events.push({ seq, json: data.length > MAX_CHUNK_CHARS ? `${data.slice(0, MAX_CHUNK_CHARS)}…` : data });
        if (chunk.type === 'finish' || chunk.type === 'abort' || chunk.type === 'error' || events.length >= MAX_CHUNKS) {
          return { events, complete: events.length < MAX_CHUNKS, runId };
        }
      }
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}

function RawEventList({ conversationId, messageId }: { conversationId: string; messageId: string }) {
  const [state, setState] = useState<RunEvents | { error: string } | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), SCAN_TIMEOUT_MS);
    readRunEvents(conversationId, messageId, controller.signal)
      .then(setState)
      .catch((e: Error) => setState({ error: e.name === 'AbortError' ? 'The run’s events were not found in time.' : e.message }))
      .finally(() => window.clearTimeout(timer));
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [conversationId, messageId]);
  if (!state) return <p role="status">Loading events…</p>;
  if ('error' in state) return <p className="raw-events-error">{state.error}</p>;
  return (
    <>
      {state.runId ? (
        <p className="raw-run">
          Run <code>{state.runId}</code>
        </p>
      ) : null}
      <ol className="raw-events" aria-label="Raw events" tabIndex={0}>
        {state.events.map((e, i) => (
          <li key={`${e.seq}-${i}`}>
            <span className="raw-seq">{e.seq}</span> <code>{e.json}</code>
          </li>
        ))}
      </ol>
      {state.complete ? null : <p className="raw-events-note">Only the first {MAX_CHUNKS} events are shown.</p>}
    </>
  );
}

export function RawEvents({ conversationId, messageId }: { conversationId: string; messageId: string }) {
  return (
    <Disclosure className="raw" defaultOpen={false} summary={<span>Raw events</span>}>
      <RawEventList conversationId={conversationId} messageId={messageId} />
    </Disclosure>
  );
}
