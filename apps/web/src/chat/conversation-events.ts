import { useEffect, useRef, useState } from 'react';
import { readUIMessageStream, type UIMessageChunk } from 'ai';
import type { QueueItem } from '../api/types';
import { conversationPath } from './conversation-api';
import type { ChatMessage, McpAuthRequest } from './types';

// Follows GET /v1/conversations/:id/events for what this tab did not start itself: another tab's messages and runs,
// queued messages that start running, and the data parts of the conversation (queue, MCP auth). A run that useChat is
// already streaming (its message id is known to useChat) is skipped, so nothing is shown twice. See docs/web.md "Chat".

export interface ConversationEventHandlers {
  /** Whether useChat already has this message id (a run or message this tab started or loaded). */
  isKnown(id: string): boolean;
  onQueue(items: QueueItem[]): void;
  onMcpAuth(request: McpAuthRequest): void;
  /** A run ended (finish, abort or error), whoever started it. */
  onRunEnded(): void;
  /** A run this tab did not start failed with this text. */
  onForeignRunError(text: string): void;
  /** The stream was lost (false) or is back (true) after a loss. */
  onConnection(connected: boolean): void;
}

export interface ConversationEvents {
  /** Messages of other tabs' and queued runs, not (yet) in useChat's list, in arrival order. */
  overlay: ChatMessage[];
  /** Message ids a running regeneration replaces. */
  replacedIds: ReadonlySet<string>;
  activeRunId: string | null;
  /** The overlay message a run is streaming into now. */
  streamingMessageId: string | null;
}

const FLUSH_MS = 50;
const RETRY_MS = 3_000;
/** Overlay messages kept at most (they move into useChat's list when each run ends). */
const MAX_OVERLAY = 200;

const isTerminal = (type: string) => type === 'finish' || type === 'abort' || type === 'error';
/** Data parts the page handles itself; everything else of a run (e.g. `data-elicitation`) goes into its message. */
const SIDE_CHANNEL = new Set(['data-queue', 'data-message', 'data-usage', 'data-run', 'data-mcp-auth']);

interface RunFeed {
  messageId: string;
  controller: ReadableStreamDefaultController<UIMessageChunk> | null;
}

export function useConversationEvents(conversationId: string, handlers: ConversationEventHandlers): ConversationEvents {
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const [overlay, setOverlay] = useState<ChatMessage[]>([]);
  const [replacedIds, setReplacedIds] = useState<ReadonlySet<string>>(new Set());
  // Unknown until the stream says: without a position it starts with the active run's `start`, if one is active.
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [streamingMessageId, setStreamingMessageId] = useState<string | null>(null);

  useEffect(() => {
    const h = () => handlersRef.current;
    const pending = new Map<string, ChatMessage>();
    const overlayMessages = new Map<string, ChatMessage>();
    let flushTimer: number | undefined;
    let run: RunFeed | null = null;
    let lastSeq: number | null = null;
    let source: EventSource | null = null;
    let retryTimer: number | undefined;
    let closed = false;
    let lost = false;

    const flush = () => {
      flushTimer = undefined;
      for (const [id, m] of pending) overlayMessages.set(id, m);
      pending.clear();
      for (const id of overlayMessages.keys()) if (h().isKnown(id)) overlayMessages.delete(id);
      while (overlayMessages.size > MAX_OVERLAY) overlayMessages.delete(overlayMessages.keys().next().value as string);
      setOverlay([...overlayMessages.values()]);
    };
    const upsert = (m: ChatMessage) => {
      if (closed) return;
      pending.set(m.id, m);
      flushTimer ??= window.setTimeout(flush, FLUSH_MS);
    };
    const dropKnown = () => {
      flushTimer ??= window.setTimeout(flush, FLUSH_MS);
    };

    const startRun = (messageId: string, first: UIMessageChunk) => {
      if (h().isKnown(messageId)) {
        run = { messageId, controller: null };
        return;
      }
      let controller!: ReadableStreamDefaultController<UIMessageChunk>;
      const stream = new ReadableStream<UIMessageChunk>({ start: (c) => void (controller = c) });
      run = { messageId, controller };
      setStreamingMessageId(messageId);
      controller.enqueue(first);
      void (async () => {
        try {
          for await (const message of readUIMessageStream<ChatMessage>({ stream, terminateOnError: false, onError: () => undefined })) {
            upsert(message);
          }
        } catch {
          // a malformed chunk ends this overlay; the run's end reloads the list from the API anyway
        }
      })();
    };

    const endRun = () => {
      try {
        run?.controller?.close();
      } catch {
        // already closed
      }
      run = null;
      setStreamingMessageId(null);
    };

    const onChunk = (chunk: UIMessageChunk & { data?: unknown; id?: string; messageId?: string; messageMetadata?: Record<string, unknown> }) => {
      const type = chunk.type;
      if (type === 'data-queue') return h().onQueue(((chunk.data as { items?: QueueItem[] })?.items ?? []).slice(0, 200));
      if (type === 'data-mcp-auth') return h().onMcpAuth(chunk.data as McpAuthRequest);
      if (type === 'data-message') {
        const data = chunk.data as { messageId: string; role: 'user'; parts: ChatMessage['parts']; clientMessageId?: string };
        if (!data?.messageId || h().isKnown(data.messageId) || (data.clientMessageId && h().isKnown(data.clientMessageId))) return;
        upsert({ id: data.messageId, role: 'user', parts: data.parts ?? [], metadata: { status: 'complete' } });
        return;
      }
      if (type === 'data-run') {
        const data = chunk.data as { status?: string };
        if (data?.status && data.status !== 'started' && data.status !== 'running') setActiveRunId(null);
        return;
      }
      if (SIDE_CHANNEL.has(type)) return;
      if (type === 'start') {
        endRun();
        const runId = typeof chunk.messageMetadata?.runId === 'string' ? chunk.messageMetadata.runId : null;
        setActiveRunId(runId ?? 'unknown');
        const regenerates = chunk.messageMetadata?.regenerates;
        if (typeof regenerates === 'string') setReplacedIds((s) => new Set([...s, regenerates].slice(-MAX_OVERLAY)));
        if (chunk.messageId) startRun(chunk.messageId, chunk);
        return;
      }
      if (!run) return;
      if (run.controller && h().isKnown(run.messageId)) {
        endRun();
        dropKnown();
        return;
      }
      const foreign = run.controller !== null;
      run.controller?.enqueue(chunk);
      if (isTerminal(type)) {
        endRun();
        setActiveRunId(null);
        if (type === 'error' && foreign) h().onForeignRunError((chunk as { errorText?: string }).errorText ?? 'The run failed.');
        h().onRunEnded();
      }
    };

    const open = () => {
      if (closed) return;
      const after = lastSeq === null ? '' : `?after=${lastSeq}`;
      source = new EventSource(`${conversationPath(conversationId)}/events${after}`);
      source.onmessage = (e: MessageEvent<string>) => {
        const seq = Number(e.lastEventId);
        if (Number.isInteger(seq)) lastSeq = seq;
        try {
          onChunk(JSON.parse(e.data));
        } catch {
          // not a chunk: ignored
        }
      };
      source.onopen = () => {
        if (!lost) return;
        lost = false;
        h().onConnection(true);
      };
      source.onerror = () => {
        if (closed) return;
        if (!lost) {
          lost = true;
          h().onConnection(false);
        }
        // EventSource reconnects by itself (with Last-Event-ID) unless the server refused the stream.
        if (source?.readyState === EventSource.CLOSED) {
          source = null;
          retryTimer = window.setTimeout(open, RETRY_MS);
        }
      };
    };
    open();

    return () => {
      closed = true;
      source?.close();
      window.clearTimeout(retryTimer);
      window.clearTimeout(flushTimer);
      endRun();
    };
  }, [conversationId]);

  return { overlay, replacedIds, activeRunId, streamingMessageId };
}
