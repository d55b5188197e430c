import { base64Bytes, toolOutputModelText, truncateChars, type ToolOutput, type ToolOutputPart } from '@harness/contracts';
import { jsonBytes, truncateJsonBytes } from './truncate.js';

export interface ToolResultLimits {
  /** Most UTF-16 units of the tool message content the model gets, truncation marker included. */
  modelChars: number;
  /** Most UTF-8 bytes of `JSON.stringify(output)`. */
  storedBytes: number;
}

export type OutputPart = ToolOutputPart;
export type { ToolOutput };

export interface MappedToolResult {
  ok: boolean;
  /** The content of the `role: "tool"` message. */
  modelText: string;
  output: ToolOutput;
  errorText?: string;
  truncated: boolean;
}

const DEFAULT_ERROR = 'the tool reported an error';

/** Maps an MCP `CallToolResult` (unvalidated) for the model and for storage. Never throws. */
export function mapToolResult(result: unknown, limits: ToolResultLimits): MappedToolResult {
  if (!isRecord(result)) return malformed('the MCP tool result is not an object', limits);
  const rawContent = result['content'] ?? []; // the schema defaults a missing content to []
  if (!Array.isArray(rawContent)) return malformed('the MCP tool result has no content array', limits);

  const parts = rawContent.map(toOutputPart);
  const isError = result['isError'] === true;
  const structured = result['structuredContent'];

  const texts = parts.flatMap((part) => ('text' in part && typeof part.text === 'string' ? [part.text] : []));
  const joinedText = texts.join('\n');

  const output: ToolOutput = { content: parts };
  if (structured !== undefined) output.structuredContent = structured;
  if (isError) output.isError = true;
  const model = toolOutputModelText(output, limits.modelChars);
  const stored = fitOutput(output, limits.storedBytes);

  const mapped: MappedToolResult = {
    ok: !isError,
    modelText: model.text,
    output: stored.output,
    truncated: model.truncated || stored.truncated,
  };
  if (isError) mapped.errorText = truncateChars(joinedText === '' ? DEFAULT_ERROR : joinedText, limits.modelChars).text;
  return mapped;
}

function malformed(errorText: string, limits: ToolResultLimits): MappedToolResult {
  return {
    ok: false,
    modelText: truncateChars(errorText, limits.modelChars).text,
    output: { content: [], error: errorText },
    errorText,
    truncated: false,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toOutputPart(item: unknown): OutputPart {
  if (!isRecord(item)) return { type: 'unsupported', contentType: item === null ? 'null' : typeof item };
  const type = item['type'];
  const unsupported: OutputPart = { type: 'unsupported', contentType: typeof type === 'string' ? type : 'unknown' };
  switch (type) {
    case 'text':
      return typeof item['text'] === 'string' ? { type, text: item['text'] } : unsupported;
    case 'image':
    case 'audio':
      return typeof item['data'] === 'string' && typeof item['mimeType'] === 'string'
        ? { type, mimeType: item['mimeType'], data: item['data'] }
        : unsupported;
    case 'resource_link': {
      const uri = item['uri'];
      if (typeof uri !== 'string') return unsupported;
      const part: OutputPart = { type, uri, name: optionalString(item['name']) ?? uri };
      for (const key of ['title', 'mimeType', 'description'] as const) {
        const value = optionalString(item[key]);
        if (value !== undefined) part[key] = value;
      }
      return part;
    }
    case 'resource': {
      const resource = item['resource'];
      if (!isRecord(resource) || typeof resource['uri'] !== 'string') return unsupported;
      const uri = resource['uri'];
      const mimeType = optionalString(resource['mimeType']);
      if (typeof resource['text'] === 'string') {
        return mimeType === undefined ? { type, uri, text: resource['text'] } : { type, uri, mimeType, text: resource['text'] };
      }
      if (typeof resource['blob'] === 'string') {
        return { type, uri, mimeType: mimeType ?? 'application/octet-stream', data: resource['blob'] };
      }
      return unsupported;
    }
    default:
      return unsupported;
  }
}

function omitData(part: OutputPart & { data: string }): OutputPart {
  const { data, ...rest } = part;
  return { ...rest, bytes: base64Bytes(data), omitted: true } as OutputPart;
}

function hasData(part: OutputPart): part is OutputPart & { data: string } {
  return 'data' in part;
}

/**
 * Brings the output within `maxBytes`: binary data over the limit on its own is never kept; then binary data is
 * dropped largest first, then texts are cut longest first, then structured content is replaced by its cut JSON.
 */
function fitOutput(output: ToolOutput, maxBytes: number): { output: ToolOutput; truncated: boolean } {
  let truncated = false;
  const content = output.content.map((part) => {
    if (hasData(part) && jsonBytes(part) > maxBytes) {
      truncated = true;
      return omitData(part);
    }
    return part;
  });
  const fitted: ToolOutput = { ...output, content };
  let excess = jsonBytes(fitted) - maxBytes;
  if (excess <= 0) return { output: fitted, truncated };
  truncated = true;

  const byDataSize = content
    .map((part, index) => ({ part, index }))
    .filter((entry): entry is { part: OutputPart & { data: string }; index: number } => hasData(entry.part));
  byDataSize.sort((a, b) => jsonBytes(b.part) - jsonBytes(a.part));
  for (const { part, index } of byDataSize) {
    if (excess <= 0) break;
    const smaller = omitData(part);
    excess -= jsonBytes(part) - jsonBytes(smaller);
    content[index] = smaller;
  }

  const byTextSize = content
    .map((part, index) => ({ part, index }))
    .filter((entry): entry is { part: OutputPart & { text: string }; index: number } => 'text' in entry.part);
  byTextSize.sort((a, b) => b.part.text.length - a.part.text.length);
  for (const { part, index } of byTextSize) {
    if (excess <= 0) break;
    const before = jsonBytes(part.text);
    const cut = truncateJsonBytes(part.text, before - excess);
    // A short text cannot give up enough on its own: cut it as far as the marker allows and go on.
    const text = cut ?? truncateJsonBytes(part.text, before);
    if (text === null || jsonBytes(text) >= before) continue;
    excess -= before - jsonBytes(text);
    content[index] = { ...part, text } as OutputPart;
  }

  if (excess > 0 && fitted.structuredContent !== undefined) {
    const json = JSON.stringify(fitted.structuredContent) ?? 'null';
    const before = jsonBytes(fitted.structuredContent);
    delete fitted.structuredContent;
    const longerKey = 'structuredContentTruncated'.length - 'structuredContent'.length;
    const cut = truncateJsonBytes(json, before - excess - longerKey);
    if (cut !== null) fitted.structuredContentTruncated = cut;
    excess = jsonBytes(fitted) - maxBytes;
  }

  if (excess > 0) {
    return { output: { content: [], error: `the tool output (${jsonBytes(output)} bytes) exceeds the storage limit` }, truncated };
  }
  return { output: fitted, truncated };
}
