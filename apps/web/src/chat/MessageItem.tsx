import { memo, useContext } from 'react';
import type { DisplayMode } from '../api/types';
import { elicitationOf, ElicitationForm } from './elicitation/ElicitationForm';
import { Markdown } from './parts/Markdown';
import { CopyButton } from './parts/CopyButton';
import { ReasoningPart } from './parts/ReasoningPart';
import { ToolPart } from './parts/ToolPart';
import { TypingIndicator } from './parts/TypingIndicator';
import { RawEvents } from './RawEvents';
import { RegenerateContext } from './regenerate';
import { formatDuration, useMeasuredDuration } from './timings';
import type { ChatMessage, ToolDirectory } from './types';
import { formatCost, formatTokens, usageOf } from './usage';

export interface MessageItemProps {
  message: ChatMessage;
  conversationId: string;
  /** This message's run is streaming into it now. */
  streaming: boolean;
  displayMode: DisplayMode;
  tools: ToolDirectory;
  /** useChat has this message (not one only another tab's run has shown here), so it can regenerate it. */
  regenerable: boolean;
}

export const textOfMessage = (m: ChatMessage) =>
  m.parts
    .filter((p) => p.type === 'text')
    .map((p) => (p as { text: string }).text)
    .join('\n\n');

function Parts({ message, streaming, tools, conversationId }: { message: ChatMessage; streaming: boolean; tools: ToolDirectory; conversationId: string }) {
  // Keys count parts of one kind: the stored message has no step markers, so indexes over all parts would shift
  // when the streamed message is replaced by the stored one (and the measured durations would be lost).
  let texts = 0;
  let thoughts = 0;
  return (
    <>
      {message.parts.map((part) => {
        switch (part.type) {
          case 'text': {
            const key = `${message.id}:text:${texts++}`;
            return part.text ? <Markdown key={key} text={part.text} streaming={streaming} /> : null;
          }
          case 'reasoning': {
            const key = `${message.id}:reasoning:${thoughts++}`;
            return <ReasoningPart key={key} partKey={key} text={part.text} streaming={streaming && part.state !== 'done'} />;
          }
          case 'dynamic-tool':
            return <ToolPart key={part.toolCallId} messageId={message.id} part={part} info={tools.get(part.toolName)} />;
          case 'data-elicitation': {
            const { id, data } = part as { id?: string; data?: Record<string, unknown> };
            const elicitation = elicitationOf(id ?? '', data ?? {});
            return elicitation ? <ElicitationForm key={`elicitation:${elicitation.elicitationId}`} conversationId={conversationId} elicitation={elicitation} /> : null;
          }
          default:
            return null;
        }
      })}
    </>
  );
}

/** A user's text; an `@sim` line (the LLM simulator's script, in tests and demos) is shown small. */
function UserText({ text }: { text: string }) {
  const lines = text.split('\n');
  const script = lines.findIndex((l) => l.startsWith('@sim '));
  if (script < 0) return <>{text}</>;
  return (
    <>
      {lines.slice(0, script).join('\n')}
      <code className="sim-line">{lines.slice(script).join('\n')}</code>
    </>
  );
}

function DeveloperDetails({ message, conversationId, ttft, duration }: { message: ChatMessage; conversationId: string; ttft?: number; duration?: number }) {
  const meta = message.metadata ?? {};
  const usage = usageOf(message);
  return (
    <div className="dev-details">
      <dl>
        <dt>Message</dt>
        <dd><code>{message.id}</code></dd>
        {meta.runId ? (<><dt>Run</dt><dd><code>{String(meta.runId)}</code></dd></>) : null}
        {meta.model ? (<><dt>Model</dt><dd><code>{String(meta.model)}</code></dd></>) : null}
        {usage ? (
          <>
            <dt>Tokens</dt>
            <dd>
              {usage.promptTokens} prompt · {usage.completionTokens} completion · {usage.reasoningTokens} reasoning · {usage.totalTokens} total
              {usage.source === 'estimated' ? ' (estimated)' : ''}
            </dd>
          </>
        ) : null}
        {ttft !== undefined ? (<><dt>First token</dt><dd>{formatDuration(ttft)}</dd></>) : null}
        {duration !== undefined ? (<><dt>Duration</dt><dd>{formatDuration(duration)}</dd></>) : null}
      </dl>
      {message.role === 'assistant' ? <RawEvents conversationId={conversationId} messageId={message.id} /> : null}
    </div>
  );
}

function RegenerateButton({ messageId, regenerable }: { messageId: string; regenerable: boolean }) {
  const regenerate = useContext(RegenerateContext);
  const action = regenerable ? regenerate : null;
  return (
    <button type="button" className="chat-action" disabled={!action} onClick={() => action?.(messageId)}>
      Regenerate
    </button>
  );
}

function AssistantMessage({ message, conversationId, streaming, displayMode, tools, regenerable }: MessageItemProps) {
  const meta = message.metadata ?? {};
  const hasContent = message.parts.some((p) => (p.type === 'text' || p.type === 'reasoning' ? p.text.length > 0 : p.type === 'dynamic-tool'));
  const ttft = useMeasuredDuration(`ttft:${message.id}`, streaming && !hasContent);
  const duration = useMeasuredDuration(`run:${message.id}`, streaming);
  const usage = usageOf(message);
  const cost = formatCost(usage?.cost);
  const status = streaming ? 'streaming' : meta.status;
  return (
    <article className="message message-assistant" aria-label="Assistant" data-status={status} data-message-id={message.id}>
      <div className="message-body">
        <Parts message={message} streaming={streaming} tools={tools} conversationId={conversationId} />
        {streaming && !hasContent ? <TypingIndicator label="The assistant is answering…" /> : null}
        {status === 'interrupted' ? <p className="message-note interrupted">Interrupted — this answer was stopped before it finished.</p> : null}
        {status === 'failed' ? (
          <p className="message-note failed">
            <strong>The answer failed.</strong> {meta.error ?? 'The run ended with an error.'}
          </p>
        ) : null}
      </div>
      {streaming ? null : (
        <footer className="message-footer">
          <div className="message-actions">
            <CopyButton text={() => textOfMessage(message)} />
            <RegenerateButton messageId={message.id} regenerable={regenerable} />
          </div>
          {displayMode !== 'zen' && usage ? (
            <p className="message-usage">
              {formatTokens(usage.totalTokens)}
              {cost ? ` · ${cost}` : ''}
              {displayMode === 'developer' && meta.model ? ` · ${String(meta.model)}` : ''}
            </p>
          ) : null}
        </footer>
      )}
      {displayMode === 'developer' ? <DeveloperDetails message={message} conversationId={conversationId} ttft={ttft} duration={duration} /> : null}
    </article>
  );
}

function UserMessage({ message, displayMode, conversationId }: MessageItemProps) {
  return (
    <article className="message message-user" aria-label="You" data-message-id={message.id}>
      <div className="message-body user-text">
        <UserText text={textOfMessage(message)} />
      </div>
      {displayMode === 'developer' ? <DeveloperDetails message={message} conversationId={conversationId} /> : null}
    </article>
  );
}

/** One message; re-renders only when its own message object (or the mode) changes. */
export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  return props.message.role === 'user' ? <UserMessage {...props} /> : <AssistantMessage {...props} />;
});
