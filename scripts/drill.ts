/**
 * `npm run drill [-- <lancelog drill options>]`: the crash-recovery drills through the
 * CLI (the full matrix by default; `--cases N --seed S [--case K]` for randomized drills).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const fromDist = import.meta.url.endsWith('.js');
const args = fromDist
  ? [join(root, 'cli', 'main.js'), 'drill', ...process.argv.slice(2)]
  : ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'drill', ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exitCode = r.status ?? 1;
