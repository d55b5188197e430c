import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, repoRoot, type TestDatabase } from '@harness/testing';
import pg from 'pg';

// Migrations are hand-written SQL (the Prisma CLI's schema engine cannot run here), so this test is what keeps
// them and prisma/schema.prisma in agreement: it migrates a fresh database and compares, for every model, the
// table, its columns (name, nullability, coarse type), primary key, unique keys and plain indexes with Prisma's own
// reading of the schema (the DMMF, which the Prisma CLI hands to generators: we run `prisma generate` with a tiny
// generator that writes it to a file — offline, nothing is downloaded). It also checks that the generated client
// (libs/db/src/generated, its runtime data model) was generated from the current schema.

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
  uniqueFields: string[][];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: Array<{ name: string; sortOrder?: 'asc' | 'desc' }>;
}
interface Datamodel {
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

/** A table as both sides describe it. Keys are sorted strings so a diff reads well. */
interface TableShape {
  columns: Map<string, string>; // name → "type" or "type?" (nullable)
  primaryKey: string; // "a,b"
  uniques: Set<string>; // "a,b"
  indexes: Set<string>; // "a,b DESC"
}

// ---------- Prisma's side ----------

const GENERATOR = `
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
// Minimal Prisma generator (JSON-RPC: requests on stdin, answers on stderr): writes the DMMF datamodel to DMMF_OUT.
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  const reply = (result) => process.stderr.write(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }) + '\\n');
  if (msg.method === 'getManifest') reply({ manifest: { prettyName: 'DMMF dump', requiresEngines: [] } });
  else if (msg.method === 'generate') {
    writeFileSync(process.env.DMMF_OUT, JSON.stringify(msg.params.dmmf.datamodel));
    reply(null);
  }
});
`;

/** Prisma's DMMF datamodel of a schema text (its generator blocks are replaced by the dump generator). */
async function readDatamodel(schemaText: string, workDir: string): Promise<Datamodel> {
  const generatorPath = join(workDir, 'dmmf-generator.mjs');
  const schemaPath = join(workDir, `schema-${Math.random().toString(36).slice(2)}.prisma`);
  const outPath = `${schemaPath}.dmmf.json`;
  await writeFile(generatorPath, GENERATOR);
  const withoutGenerators = schemaText.replace(/^generator\s+\w+\s*\{[\s\S]*?^\}/gm, '');
  const dump = `generator dmmf_dump {\n  provider = "${process.execPath} ${generatorPath}"\n  output   = "${join(workDir, 'out')}"\n}\n`;
  await writeFile(schemaPath, dump + withoutGenerators);

  const prismaCli = join(repoRoot, 'node_modules', 'prisma', 'build', 'index.js');
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DMMF_OUT: outPath,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0 || !existsSync(outPath)) {
    throw new Error(`prisma generate (DMMF dump) failed with ${output.code}:\n${output.text}`);
  }
  return JSON.parse(await readFile(outPath, 'utf8')) as Datamodel;
}

function prismaType(f: DmmfField): string {
  const native = f.nativeType?.[0];
  let t: string;
  switch (f.type) {
    case 'String':
      t = native === 'Uuid' ? 'uuid' : 'text';
      break;
    case 'Int':
      t = 'int';
      break;
    case 'BigInt':
      t = 'bigint';
      break;
    case 'Boolean':
      t = 'bool';
      break;
    case 'DateTime':
      t = native === 'Timestamptz' ? 'timestamptz' : native === 'Date' ? 'date' : 'timestamp';
      break;
    case 'Json':
      t = native === 'Json' ? 'json' : 'jsonb';
      break;
    case 'Decimal':
      t = 'decimal';
      break;
    case 'Float':
      t = 'float';
      break;
    case 'Bytes':
      t = 'bytea';
      break;
    default:
      t = f.kind === 'enum' ? `enum:${f.type}` : `unknown:${f.type}`;
  }
  return f.isList ? `${t}[]` : t;
}

/**
 * `Unsupported("type")` fields (e.g. events.transaction_id, xid8), which the DMMF leaves out, read from the schema text:
 * model name → [field name, column, database type].
 */
function unsupportedFields(schemaText: string): Map<string, Array<{ name: string; column: string; type: string }>> {
  const byModel = new Map<string, Array<{ name: string; column: string; type: string }>>();
  for (const m of schemaText.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    for (const f of m[2].matchAll(/^\s*(\w+)\s+Unsupported\("(\w+)"\)(.*)$/gm)) {
      const column = /@map\("([^"]+)"\)/.exec(f[3])?.[1] ?? f[1];
      byModel.set(m[1], [...(byModel.get(m[1]) ?? []), { name: f[1], column, type: f[2] }]);
    }
  }
  return byModel;
}

function shapesFromDatamodel(dm: Datamodel, schemaText: string): Map<string, TableShape> {
  const tables = new Map<string, TableShape>();
  const unsupported = unsupportedFields(schemaText);
  for (const model of dm.models) {
    const extra = unsupported.get(model.name) ?? [];
    const column = new Map([...model.fields.map((f) => [f.name, f.dbName ?? f.name] as const), ...extra.map((f) => [f.name, f.column] as const)]);
    const cols = (names: string[]) => names.map((n) => column.get(n) ?? `?${n}`).join(',');
    const scalar = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    const shape: TableShape = {
      columns: new Map([
        ...scalar.map((f) => [f.dbName ?? f.name, prismaType(f) + (f.isRequired ? '' : '?')] as const),
        ...extra.map((f) => [f.column, `pg:${f.type}`] as const),
      ]),
      primaryKey: model.primaryKey ? cols(model.primaryKey.fields) : cols(scalar.filter((f) => f.isId).map((f) => f.name)),
      uniques: new Set([
        ...scalar.filter((f) => f.isUnique).map((f) => cols([f.name])),
        ...model.uniqueFields.map((u) => cols(u)),
      ]),
      indexes: new Set(
        dm.indexes
          .filter((i) => i.model === model.name && i.type === 'normal')
          .map((i) => i.fields.map((f) => (column.get(f.name) ?? `?${f.name}`) + (f.sortOrder === 'desc' ? ' DESC' : '')).join(',')),
      ),
    };
    tables.set(model.dbName ?? model.name, shape);
  }
  return tables;
}

// ---------- the database's side ----------

function pgType(udt: string): string {
  if (udt.startsWith('_')) return `${pgType(udt.slice(1))}[]`;
  const map: Record<string, string> = {
    text: 'text', varchar: 'text', bpchar: 'text', citext: 'text',
    int2: 'int', int4: 'int', int8: 'bigint', bool: 'bool',
    timestamptz: 'timestamptz', timestamp: 'timestamp', date: 'date',
    jsonb: 'jsonb', json: 'json', uuid: 'uuid', numeric: 'decimal',
    float4: 'float', float8: 'float', bytea: 'bytea',
  };
  return map[udt] ?? `pg:${udt}`;
}

async function shapesFromDatabase(url: string): Promise<Map<string, TableShape>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = new Map<string, TableShape>();
    const t = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
    );
    for (const { table_name } of t.rows) {
      tables.set(table_name, { columns: new Map(), primaryKey: '', uniques: new Set(), indexes: new Set() });
    }
    const c = await client.query<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO'; udt_name: string }>(
      `SELECT table_name, column_name, is_nullable, udt_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    for (const row of c.rows) {
      tables.get(row.table_name)?.columns.set(row.column_name, pgType(row.udt_name) + (row.is_nullable === 'YES' ? '?' : ''));
    }
    const i = await client.query<{ table_name: string; is_primary: boolean; is_unique: boolean; is_partial: boolean; columns: string[] }>(
      `SELECT t.relname AS table_name, ix.indisprimary AS is_primary, ix.indisunique AS is_unique,
              ix.indpred IS NOT NULL AS is_partial,
              array_agg(a.attname || CASE WHEN (opt.o & 1) = 1 THEN ' DESC' ELSE '' END ORDER BY k.ord) AS columns
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         CROSS JOIN LATERAL (SELECT (ix.indoption::int2[])[k.ord - 1] AS o) AS opt
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE n.nspname = 'public'
        GROUP BY ix.indexrelid, t.relname, ix.indisprimary, ix.indisunique, ix.indpred`,
    );
    for (const row of i.rows) {
      const shape = tables.get(row.table_name);
      if (!shape) continue;
      const cols = row.columns.join(',');
      if (row.is_primary) shape.primaryKey = cols;
      else if (row.is_unique) shape.uniques.add(row.is_partial ? `${cols} (partial)` : cols);
      else shape.indexes.add(row.is_partial ? `${cols} (partial)` : cols);
    }
    return tables;
  } finally {
    await client.end();
  }
}

// ---------- comparison ----------

function compare(schema: Map<string, TableShape>, db: Map<string, TableShape>): string[] {
  const diffs: string[] = [];
  for (const name of [...new Set([...schema.keys(), ...db.keys()])].sort()) {
    const s = schema.get(name);
    const d = db.get(name);
    if (!s) {
      diffs.push(`table ${name}: in the migrated database, not in schema.prisma`);
      continue;
    }
    if (!d) {
      diffs.push(`table ${name}: in schema.prisma, not in the migrated database`);
      continue;
    }
    for (const col of [...new Set([...s.columns.keys(), ...d.columns.keys()])].sort()) {
      const sc = s.columns.get(col);
      const dc = d.columns.get(col);
      if (sc !== dc) diffs.push(`column ${name}.${col}: schema.prisma ${sc ?? '(missing)'}, database ${dc ?? '(missing)'}`);
    }
    if (s.primaryKey !== d.primaryKey) diffs.push(`primary key of ${name}: schema.prisma (${s.primaryKey}), database (${d.primaryKey})`);
    for (const [kind, a, b] of [['unique key', s.uniques, d.uniques], ['index', s.indexes, d.indexes]] as const) {
      for (const k of a) if (!b.has(k)) diffs.push(`${kind} ${name}(${k}): in schema.prisma, not in the database`);
      for (const k of b) if (!a.has(k)) diffs.push(`${kind} ${name}(${k}): in the database, not in schema.prisma`);
    }
  }
  return diffs;
}

// ---------- the tests ----------

describe('schema drift: prisma/schema.prisma vs prisma/migrations', () => {
  let db: TestDatabase;
  let workDir: string;
  let schemaText: string;
  let datamodel: Datamodel;
  let dbShapes: Map<string, TableShape>;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'harness-drift-'));
    schemaText = await readFile(join(repoRoot, 'prisma', 'schema.prisma'), 'utf8');
    [db, datamodel] = await Promise.all([createTestDatabase('drift'), readDatamodel(schemaText, workDir)]);
    dbShapes = await shapesFromDatabase(db.url);
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('the migrated database matches every model of schema.prisma', () => {
    expect(datamodel.models.length).toBeGreaterThan(0);
    expect(dbShapes.size).toBeGreaterThan(0);
    expect(compare(shapesFromDatamodel(datamodel, schemaText), dbShapes)).toEqual([]);
  });

  it('the generated client (libs/db/src/generated) was generated from the current schema', async () => {
    const classFile = join(repoRoot, 'libs', 'db', 'src', 'generated', 'internal', 'class.ts');
    if (!existsSync(classFile)) throw new Error(`${classFile} is missing: run \`npm run build\` (it runs prisma generate)`);
    const source = await readFile(classFile, 'utf8');
    const literal = /config\.runtimeDataModel = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(source)?.[1];
    if (!literal) throw new Error(`no runtimeDataModel in ${classFile}`);
    const runtime = JSON.parse(JSON.parse(literal) as string) as {
      models: Record<string, { dbName: string | null; fields: Array<{ name: string; kind: string; dbName?: string }> }>;
    };
    const fromClient = Object.entries(runtime.models)
      .map(([name, m]) => `${name}→${m.dbName ?? name}: ${m.fields.map((f) => `${f.name}:${f.kind}→${f.dbName ?? f.name}`).join(' ')}`)
      .sort();
    const fromSchema = datamodel.models
      .map((m) => `${m.name}→${m.dbName ?? m.name}: ${m.fields.map((f) => `${f.name}:${f.kind}→${f.dbName ?? f.name}`).join(' ')}`)
      .sort();
    expect({ hint: 'stale client: run `npm run build`', models: fromClient }).toEqual({
      hint: 'stale client: run `npm run build`',
      models: fromSchema,
    });
  });

  it('detects drift: a schema with an extra column, a changed type, nullability, key and index disagrees', async () => {
    // The same check against an edited copy of the schema, to prove it would catch a real drift.
    const edited = schemaText
      .replace(/(model UserSettings \{\n)/, '$1  nickname    String?  @map("nickname")\n') // column only in the schema
      .replace(/(\n\s+title\s+)String(\n)/, '$1String?$2') // conversations.title nullable in the schema only
      .replace(/(\n\s+firstSeq\s+)Int(\s)/, '$1BigInt$2') // message_views.first_seq: bigint vs int
      .replace(/(\n\s+@@unique\(\[streamId, streamPosition\]\))/, '\n  @@unique([streamId, type])$1') // extra unique key
      .replace(/\n\s+@@index\(\[harnessId, position\]\)/, ''); // an index only in the database
    expect(edited).not.toBe(schemaText);
    const diffs = compare(shapesFromDatamodel(await readDatamodel(edited, workDir), edited), dbShapes);
    expect(diffs).toEqual(
      expect.arrayContaining([
        'column user_settings.nickname: schema.prisma text?, database (missing)',
        'column conversations.title: schema.prisma text?, database text',
        'column message_views.first_seq: schema.prisma bigint, database int',
        'unique key events(stream_id,type): in schema.prisma, not in the database',
        'index mcp_servers(harness_id,position): in the database, not in schema.prisma',
      ]),
    );
    expect(diffs).toHaveLength(5);
  }, 60_000);
});
