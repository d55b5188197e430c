import { createHash } from 'node:crypto';

/** What LLM providers accept as a function name. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_TOOL_NAME_LENGTH = 64;

const SERVER_PREFIX_LENGTH = 20;
const HASH_LENGTH = 6;

export interface ServerTools {
  serverId: string;
  serverName: string;
  tools: { name: string }[];
}

export interface ToolNameEntry {
  name: string;
  serverId: string;
  originalName: string;
}

export interface ToolTarget {
  serverId: string;
  originalName: string;
}

export interface AssignedToolNames {
  entries: ToolNameEntry[];
  byName: Map<string, ToolTarget>;
}

/** Replaces disallowed characters (per code point, so a surrogate pair becomes one `_`) and collapses `_` runs. */
function replaceDisallowed(raw: string): string {
  return raw.replace(/[^a-zA-Z0-9_-]/gu, '_').replace(/_+/g, '_');
}

export function sanitizeToolName(raw: string): string {
  const name = replaceDisallowed(raw).slice(0, MAX_TOOL_NAME_LENGTH);
  return name === '' ? 'tool' : name;
}

function serverPrefix(serverName: string, serverId: string): string {
  for (const candidate of [serverName, serverId]) {
    const prefix = replaceDisallowed(candidate).slice(0, SERVER_PREFIX_LENGTH).replace(/^_+|_+$/g, '');
    if (prefix !== '') return prefix;
  }
  return 'server';
}

function stableHash(serverId: string, originalName: string): string {
  return createHash('sha256').update(`${serverId}\0${originalName}`).digest('hex').slice(0, HASH_LENGTH);
}

/** `base` cut so that `base + suffix` fits the length limit. */
function withSuffix(base: string, suffix: string): string {
  return base.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Candidate extends ToolTarget {
  prefix: string;
  plain: string;
}

/**
 * Gives every tool of every server a unique, provider-valid name. Servers are sorted by id and tools by original
 * name first, so the result does not depend on listing order. A name shared by several tools is prefixed with the
 * server for all of them (not only the later ones); what still collides gets a hash of server id and original name.
 * A server listing the same tool name twice keeps one entry.
 */
export function assignToolNames(servers: ServerTools[]): AssignedToolNames {
  const candidates: Candidate[] = [];
  for (const server of [...servers].sort((a, b) => compare(a.serverId, b.serverId))) {
    const prefix = serverPrefix(server.serverName, server.serverId);
    const names = [...new Set(server.tools.map((tool) => tool.name))].sort(compare);
    for (const originalName of names) {
      candidates.push({ serverId: server.serverId, originalName, prefix, plain: sanitizeToolName(originalName) });
    }
  }

  const plainCounts = countBy(candidates.map((c) => c.plain));
  const reserved = new Set(candidates.filter((c) => plainCounts.get(c.plain) === 1).map((c) => c.plain));

  const isPlain = (c: Candidate): boolean => plainCounts.get(c.plain) === 1;
  const prefixedOf = (c: Candidate): string => `${c.prefix}__${c.plain.replace(/^_+/, '') || 'tool'}`;
  const prefixedCounts = countBy(candidates.filter((c) => !isPlain(c)).map(prefixedOf));

  const used = new Set<string>();
  const entries: ToolNameEntry[] = [];
  for (const c of candidates) {
    let name: string;
    if (isPlain(c)) {
      name = c.plain;
    } else {
      const prefixed = prefixedOf(c);
      const clean =
        prefixed.length <= MAX_TOOL_NAME_LENGTH && prefixedCounts.get(prefixed) === 1 && !reserved.has(prefixed);
      name = clean ? prefixed : withSuffix(prefixed, `_${stableHash(c.serverId, c.originalName)}`);
    }
    // Last resort against hash collisions and hash-suffixed names equal to another tool's plain name. Plain names
    // never get here: they are unique among plain names and no prefixed name takes a reserved one.
    for (let n = 2; !isPlain(c) && (used.has(name) || reserved.has(name)); n++) {
      name = withSuffix(prefixedOf(c), `_${stableHash(c.serverId, c.originalName)}_${n}`);
    }
    used.add(name);
    entries.push({ name, serverId: c.serverId, originalName: c.originalName });
  }

  return { entries, byName: new Map(entries.map((e) => [e.name, { serverId: e.serverId, originalName: e.originalName }])) };
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
