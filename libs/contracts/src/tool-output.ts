/**
 * The output of an MCP tool call as Harness stores and streams it (the `output` of a `dynamic-tool` part), and the
 * one function that turns it into the `role: "tool"` message the model gets. The broker maps results with it and
 * chat rebuilds history with it, so a conversation replayed from storage gives the model the same text it saw live.
 */
type Binary = { mimeType: string } & ({ data: string } | { bytes: number; omitted: true });

export type ToolOutputPart =
  | { type: 'text'; text: string }
  | ({ type: 'image' | 'audio' } & Binary)
  | { type: 'resource_link'; uri: string; name: string; title?: string; mimeType?: string; description?: string }
  | { type: 'resource'; uri: string; mimeType?: string; text: string }
  | ({ type: 'resource'; uri: string } & Binary)
  | { type: 'unsupported'; contentType: string };

export interface ToolOutput {
  content: ToolOutputPart[];
  structuredContent?: unknown;
  /** Replaces `structuredContent` when that alone did not fit the storage limit. */
  structuredContentTruncated?: string;
  isError?: true;
  /** Set for a malformed result, or when nothing of the output fit the storage limit. */
  error?: string;
}

/** Most UTF-16 units of a tool message the model gets, truncation marker included. */
export const TOOL_OUTPUT_MODEL_CHARS = 20_000;

const DEFAULT_ERROR = 'the tool reported an error';
const NO_CONTENT = '[the tool returned no content]';

export function isToolOutput(value: unknown): value is ToolOutput {
  return typeof value === 'object' && value !== null && Array.isArray((value as { content?: unknown }).content);
}

/** The tool message for the model: every part described, cut to `maxChars` with a visible marker. */
export function toolOutputModelText(output: ToolOutput, maxChars: number = TOOL_OUTPUT_MODEL_CHARS): { text: string; truncated: boolean } {
  const lines = output.content.map(describeToolOutputPart);
  const hasText = output.content.some((p) => 'text' in p && typeof p.text === 'string');
  if (!hasText) {
    if (output.structuredContent !== undefined) lines.push(JSON.stringify(output.structuredContent));
    else if (output.structuredContentTruncated !== undefined) lines.push(output.structuredContentTruncated);
  }
  if (lines.length === 0 && output.error !== undefined) lines.push(output.error);
  let text = lines.join('\n');
  if (text === '') text = output.isError ? DEFAULT_ERROR : NO_CONTENT;
  return truncateChars(text, maxChars);
}

export function describeToolOutputPart(part: ToolOutputPart): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'image':
    case 'audio':
      return `[${part.type}: ${part.mimeType}, ${formatBytes(binaryBytes(part))}]`;
    case 'resource_link':
      return `[resource: ${part.name} ${part.uri}]`;
    case 'resource':
      if ('text' in part) return part.text;
      return `[resource: ${part.uri}, ${part.mimeType}, ${formatBytes(binaryBytes(part))}]`;
    case 'unsupported':
      return `[unsupported content: ${part.contentType}]`;
  }
}

/** Decoded size of base64 data. */
export function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

function binaryBytes(part: Binary): number {
  return 'data' in part ? base64Bytes(part.data) : part.bytes;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function truncationMarker(omitted: number): string {
  return `\n…[truncated: ${omitted} more characters]`;
}

/** Never cut between the halves of a surrogate pair. */
export function safeCut(text: string, end: number): number {
  if (end > 0 && end < text.length) {
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) return end - 1;
  }
  return end;
}

/**
 * Cuts `text` so that the kept part plus the marker has at most `maxChars` UTF-16 units. If even the marker does
 * not fit, the marker alone is returned.
 */
export function truncateChars(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  // The marker for the largest possible count is at least as long as the real one.
  const kept = safeCut(text, Math.max(0, maxChars - truncationMarker(text.length).length));
  return { text: text.slice(0, kept) + truncationMarker(text.length - kept), truncated: true };
}
