import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor of this file holding prisma/schema.prisma (works from src and dist). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'prisma', 'schema.prisma')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@harness/testing: cannot find the repository root (prisma/schema.prisma)');
    dir = parent;
  }
})();

export const migrationsDir: string = join(repoRoot, 'prisma', 'migrations');
export const testLogsDir: string = join(repoRoot, '.harness', 'test-logs');
