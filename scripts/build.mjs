#!/usr/bin/env node
// Builds the workspace: `npm run build`.
//   1. prisma generate (only when prisma/schema.prisma changed since the last generate; hash stamp in
//      node_modules/.cache/harness/). The Prisma CLI needs PRISMA_SCHEMA_ENGINE_BINARY to point at any existing
//      executable to run offline; generate does not use the engine.
//   2. every lib, tool and service through nx (`nx run-many -t build`, cached: fast when nothing changed).
//      If nx itself cannot run, falls back to each package's own build script, in dependency order.
// Exits non-zero with the failing package named. --quiet: print the tools' output only when they fail.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const quiet = process.argv.includes('--quiet');
const log = (msg) => process.stdout.write(`[build] ${msg}\n`);

class BuildError extends Error {}

/** Runs a command, streaming its output; resolves with {code, output}. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: opts.shell ?? false,
    });
    let output = '';
    const onData = (stream) => (chunk) => {
      output += chunk;
      if (!opts.quiet) stream.write(chunk);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

// ---------- 1. prisma generate ----------

const PRISMA_VERSION = JSON.parse(readFileSync(join(root, 'node_modules/prisma/package.json'), 'utf8')).version;

async function prismaGenerate() {
  const schemaPath = join(root, 'prisma/schema.prisma');
  const stampDir = join(root, 'node_modules/.cache/harness');
  const stampFile = join(stampDir, 'prisma-generate.sha256');
  const hash = createHash('sha256').update(readFileSync(schemaPath)).update(`prisma@${PRISMA_VERSION}`).digest('hex');
  const generatedEntry = join(root, 'libs/db/src/generated/client.ts');
  const stamp = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (stamp === hash && existsSync(generatedEntry)) {
    log('prisma client up to date (schema unchanged)');
    return false;
  }
  log('prisma generate (schema changed since the last generate)');
  const { code, output } = await run(bin('prisma'), ['generate', '--schema', 'prisma/schema.prisma'], {
    env: {
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
    quiet: true,
  });
  if (code !== 0) {
    process.stderr.write(output);
    throw new BuildError(`prisma generate failed (exit ${code})`);
  }
  mkdirSync(stampDir, { recursive: true });
  writeFileSync(stampFile, `${hash}\n`);
  return true;
}

// ---------- 2. packages ----------

/** Workspace packages (libs/*, tools/*, services/*) that have a build script. */
function workspacePackages() {
  const pkgs = [];
  for (const group of ['libs', 'tools', 'services']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const pkgJson = join(dir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(pkgJson)) continue;
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
      if (pkg.scripts?.build) pkgs.push({ name: pkg.name, dir: join(dir, entry.name), pkg });
    }
  }
  return pkgs;
}

async function buildWithNx(skipCache) {
  if (!existsSync(bin('nx'))) return { usable: false, reason: 'node_modules/.bin/nx is missing' };
  const args = ['run-many', '-t', 'build', '--outputStyle=static'];
  if (skipCache) args.push('--skip-nx-cache');
  log(`nx ${args.join(' ')}`);
  const { code, output } = await run(bin('nx'), args, {
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    quiet,
  });
  const plain = stripVTControlCharacters(output); // nx colours its output when CI=true
  if (code === 0) {
    if (quiet) {
      const cache = /Cache:\s+(.*)/.exec(plain)?.[1];
      const count = /Successfully ran target build for (\d+) projects?/.exec(plain)?.[1];
      log(`built ${count ?? 'all'} packages${cache ? ` (nx cache: ${cache.trim()})` : ''}`);
    }
    return { usable: true, ok: true };
  }
  if (quiet) process.stderr.write(output);
  const failed = [...plain.matchAll(/^\s*-\s+(\S+):build\s*$/gm)].map((m) => m[1]);
  if (failed.length > 0 || /Running target build/.test(plain)) return { usable: true, ok: false, failed };
  return { usable: false, reason: `nx exited ${code} before running any task` };
}

/** Orders packages so that each comes after the @harness/* packages its sources or package.json mention. */
function dependencyOrder(pkgs) {
  const names = new Set(pkgs.map((p) => p.name));
  const deps = new Map();
  for (const p of pkgs) {
    const found = new Set(Object.keys({ ...p.pkg.dependencies, ...p.pkg.devDependencies }).filter((n) => names.has(n)));
    const scan = (dir) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'generated' && e.name !== 'node_modules') scan(full);
        } else if (/\.(ts|mts|js|mjs)$/.test(e.name)) {
          for (const m of readFileSync(full, 'utf8').matchAll(/['"](@harness\/[a-z0-9-]+)['"]/g)) {
            if (names.has(m[1]) && m[1] !== p.name) found.add(m[1]);
          }
        }
      }
    };
    scan(join(p.dir, 'src'));
    deps.set(p.name, found);
  }
  const ordered = [];
  const state = new Map();
  const visit = (p) => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'visiting') return; // a cycle: swc builds per file, so any order works
    state.set(p.name, 'visiting');
    for (const d of deps.get(p.name)) visit(pkgs.find((x) => x.name === d));
    state.set(p.name, 'done');
    ordered.push(p);
  };
  pkgs.forEach(visit);
  return ordered;
}

async function buildWithoutNx() {
  const env = { PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}` };
  for (const p of dependencyOrder(workspacePackages())) {
    log(`${p.name}: ${p.pkg.scripts.build}`);
    const { code, output } = await run(p.pkg.scripts.build, [], { cwd: p.dir, env, shell: true, quiet });
    if (code !== 0 && quiet) process.stderr.write(output);
    if (code !== 0) throw new BuildError(`build failed in ${p.name} (${relative(root, p.dir)}), exit ${code}`);
  }
}

async function main() {
  const started = Date.now();
  const regenerated = await prismaGenerate();
  const forceFallback = process.env.HARNESS_BUILD_NO_NX === '1';
  // nx hashes only files git does not ignore, and the generated Prisma client is ignored: after a regenerate,
  // bypass the cache so libs/db/dist is rebuilt from the new client.
  const result = forceFallback ? { usable: false, reason: 'HARNESS_BUILD_NO_NX=1' } : await buildWithNx(regenerated);
  if (!result.usable) {
    log(`nx unusable (${result.reason}): building each package with its own build script instead`);
    await buildWithoutNx();
  } else if (!result.ok) {
    const which = result.failed.length ? result.failed.join(', ') : 'see the nx output above';
    throw new BuildError(`build failed in: ${which}`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((err) => {
  process.stderr.write(`\n[build] FAILED: ${err instanceof BuildError ? err.message : err?.stack ?? err}\n`);
  process.exit(1);
});
