import { assignToolNames, sanitizeToolName, ServerTools, TOOL_NAME_PATTERN } from '../../src/tools/tool-names.js';

const server = (serverId: string, serverName: string, ...names: string[]): ServerTools => ({
  serverId,
  serverName,
  tools: names.map((name) => ({ name })),
});

const namesOf = (servers: ServerTools[]): Record<string, string> =>
  Object.fromEntries(assignToolNames(servers).entries.map((e) => [`${e.serverId}/${e.originalName}`, e.name]));

function expectValid(servers: ServerTools[]): void {
  const { entries, byName } = assignToolNames(servers);
  const total = servers.reduce((sum, s) => sum + new Set(s.tools.map((t) => t.name)).size, 0);
  expect(entries).toHaveLength(total);
  expect(byName.size).toBe(total);
  for (const entry of entries) {
    expect(entry.name).toMatch(TOOL_NAME_PATTERN);
    expect(byName.get(entry.name)).toEqual({ serverId: entry.serverId, originalName: entry.originalName });
  }
  for (const s of servers) {
    for (const tool of s.tools) {
      expect(entries.filter((e) => e.serverId === s.serverId && e.originalName === tool.name)).toHaveLength(1);
    }
  }
}

describe('sanitizeToolName', () => {
  it('keeps valid names', () => {
    expect(sanitizeToolName('get_weather')).toBe('get_weather');
    expect(sanitizeToolName('Add-Numbers_2')).toBe('Add-Numbers_2');
  });

  it('replaces dots, spaces, slashes and unicode and collapses underscores', () => {
    expect(sanitizeToolName('files.read')).toBe('files_read');
    expect(sanitizeToolName('search  issues')).toBe('search_issues');
    expect(sanitizeToolName('repo/list//all')).toBe('repo_list_all');
    expect(sanitizeToolName('café_ü')).toBe('caf_');
    expect(sanitizeToolName('a😀b')).toBe('a_b');
    expect(sanitizeToolName('a__b')).toBe('a_b');
  });

  it('gives "tool" for an empty name', () => {
    expect(sanitizeToolName('')).toBe('tool');
  });

  it('cuts to 64 characters, multi-byte input included', () => {
    expect(sanitizeToolName('x'.repeat(100))).toBe('x'.repeat(64));
    const multi = sanitizeToolName('é'.repeat(10) + 'a'.repeat(100));
    expect(multi).toBe('_' + 'a'.repeat(63));
    expect(sanitizeToolName('😀a'.repeat(80))).toMatch(TOOL_NAME_PATTERN);
    expect(sanitizeToolName('😀a'.repeat(80))).toHaveLength(64);
  });
});

describe('assignToolNames', () => {
  it('leaves plain unique names unchanged', () => {
    expect(namesOf([server('s1', 'GitHub', 'search', 'list_repos'), server('s2', 'Jira', 'create_issue')])).toEqual({
      's1/search': 'search',
      's1/list_repos': 'list_repos',
      's2/create_issue': 'create_issue',
    });
  });

  it('prefixes every tool of a name shared across servers with its server', () => {
    expect(namesOf([server('s1', 'GitHub', 'search', 'a'), server('s2', 'Jira Cloud', 'search', 'b')])).toEqual({
      's1/search': 'GitHub__search',
      's1/a': 'a',
      's2/search': 'Jira_Cloud__search',
      's2/b': 'b',
    });
  });

  it('separates two names of one server that sanitize to the same name', () => {
    const names = namesOf([server('s1', 'fs', 'read.file', 'read file', 'read_file')]);
    expect(new Set(Object.values(names)).size).toBe(3);
    for (const name of Object.values(names)) expect(name).toMatch(/^fs__read_file_[0-9a-f]{6}$/);
    expectValid([server('s1', 'fs', 'read.file', 'read file', 'read_file')]);
  });

  it('hashes when servers share a name', () => {
    const names = namesOf([server('a', 'same', 'x'), server('b', 'same', 'x')]);
    expect(names['a/x']).toMatch(/^same__x_[0-9a-f]{6}$/);
    expect(names['b/x']).toMatch(/^same__x_[0-9a-f]{6}$/);
    expect(names['a/x']).not.toBe(names['b/x']);
  });

  it('keeps a tool named like a prefixed name apart from the prefixed name', () => {
    // Plain names never hold '__' (runs collapse) and prefixed names always do, so the two forms cannot clash.
    const servers = [server('s1', 'gh', 'search'), server('s2', 'other', 'search', 'gh__search')];
    expect(namesOf(servers)).toEqual({ 's1/search': 'gh__search', 's2/search': 'other__search', 's2/gh__search': 'gh_search' });
    expectValid(servers);
  });

  it('stays within 64 characters when the prefix makes a name too long', () => {
    const long = 'n'.repeat(64);
    const names = namesOf([server('s1', 'a-very-long-server-name-indeed', long), server('s2', 'b', long)]);
    for (const name of Object.values(names)) {
      expect(name).toMatch(TOOL_NAME_PATTERN);
      expect(name).toMatch(/_[0-9a-f]{6}$/);
    }
    expect(names['s1/' + long]).not.toBe(names['s2/' + long]);
  });

  it('falls back to the server id, then "server", for a prefix', () => {
    const names = namesOf([server('id-1', '???', 'x'), server('😀', '', 'x')]);
    expect(names['id-1/x']).toBe('id-1__x');
    expect(names['😀/x']).toBe('server__x');
  });

  it('does not depend on the order of servers or tools', () => {
    const servers = [server('s2', 'two', 'b', 'a.x', 'a x'), server('s1', 'one', 'a_x', 'b', 'c')];
    const reversed = servers.map((s) => ({ ...s, tools: [...s.tools].reverse() })).reverse();
    expect(assignToolNames(reversed).entries).toEqual(assignToolNames(servers).entries);
  });

  it('keeps one entry for a tool listed twice', () => {
    const { entries } = assignToolNames([server('s1', 'x', 'dup', 'dup')]);
    expect(entries).toEqual([{ name: 'dup', serverId: 's1', originalName: 'dup' }]);
  });

  it('gives 200 random names valid, unique, reversible names', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['a', 'b', '_', '-', '.', ' ', '/', 'é', '😀', 'Z', '9', '__'];
    const randomName = (): string =>
      Array.from({ length: Math.floor(random() * 80) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const servers = Array.from({ length: 5 }, (_, i) =>
      server(`srv-${i}`, i % 2 === 0 ? 'shared name' : `server ${i}`, ...Array.from({ length: 40 }, randomName)),
    );
    expectValid(servers);
  });
});
