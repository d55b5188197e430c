import { memo } from 'react';
import type { DynamicToolUIPart } from 'ai';
import type { ToolInfo } from '../types';
import { formatDuration, useMeasuredDuration } from '../timings';
import { Disclosure } from './Disclosure';

const MAX_SHOWN = 20_000;

function pretty(value: unknown): string {
  if (value === undefined) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}\n…[${s.length - MAX_SHOWN} more characters]` : s;
}

/** The text items of an MCP tool result, or the whole result as JSON when it has none. */
function outputText(output: unknown): string {
  const content = (output as { content?: { type?: string; text?: string }[] })?.content;
  if (Array.isArray(content)) {
    const texts = content.filter((c) => c?.type === 'text' && typeof c.text === 'string').map((c) => c.text);
    if (texts.length === content.length && texts.length > 0) return texts.join('\n');
  }
  return pretty(output);
}

/** `server__tool` names: the server part when the directory does not know the tool. */
function describe(toolName: string, info: ToolInfo | undefined): { tool: string; server: string } {
  if (info) return { tool: info.originalName, server: info.serverName };
  const at = toolName.indexOf('__');
  return at > 0 ? { tool: toolName.slice(at + 2), server: toolName.slice(0, at) } : { tool: toolName, server: '' };
}

export const ToolPart = memo(function ToolPart({ messageId, part, info }: { messageId: string; part: DynamicToolUIPart; info: ToolInfo | undefined }) {
  const running = part.state === 'input-streaming' || part.state === 'input-available';
  const failed = part.state === 'output-error';
  const duration = useMeasuredDuration(`tool:${messageId}:${part.toolCallId}`, running);
  const { tool, server } = describe(part.toolName, info);
  const took = duration === undefined ? '' : ` in ${formatDuration(duration)}`;
  const stateText = running ? 'running' : failed ? `failed${took}` : `done${took}`;
  // The button's name reads "Tool <name> (<server>) — <state>"; the words in between are for screen readers only.
  return (
    <Disclosure
      className={`tool tool-${running ? 'running' : failed ? 'error' : 'done'}`}
      defaultOpen={false}
      summary={
        <>
          <span className="tool-status" aria-hidden="true" />
          <span className="visually-hidden">Tool </span>
          <span className="tool-name">{part.toolName}</span>
          {server ? (
            <span className="tool-server">
              <span className="visually-hidden"> (</span>
              {server}
              <span className="visually-hidden">)</span>
            </span>
          ) : null}
          <span className="visually-hidden"> — </span>
          <span className="tool-state">{stateText}</span>
        </>
      }
    >
      <dl className="tool-details">
        <dt>Server</dt>
        <dd>{server || '—'}</dd>
        <dt>Tool</dt>
        <dd>
          <code>{tool}</code>
          {tool !== part.toolName ? <> (as <code>{part.toolName}</code>)</> : null}
        </dd>
        <dt>State</dt>
        <dd>{running ? 'running' : failed ? 'error' : 'done'}</dd>
        {duration !== undefined ? (
          <>
            <dt>Duration</dt>
            <dd>{formatDuration(duration)}</dd>
          </>
        ) : null}
      </dl>
      <p className="tool-heading">Input</p>
      <pre className="tool-json" tabIndex={0}>{pretty(part.input) || '{}'}</pre>
      {part.state === 'output-available' ? (
        <>
          <p className="tool-heading">Output</p>
          <pre className="tool-json" tabIndex={0}>{outputText(part.output)}</pre>
        </>
      ) : null}
      {failed ? (
        <>
          <p className="tool-heading">Error</p>
          <pre className="tool-json tool-error-text" tabIndex={0}>{part.errorText}</pre>
        </>
      ) : null}
    </Disclosure>
  );
});
