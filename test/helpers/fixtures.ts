/**
 * The fixture set every test shares: a vendored copy of ../shared/fixtures
 * (Omnigraph's test fixtures and public starter graphs, with their LICENSE files),
 * kept in the repo so a clean clone on a fresh machine has them.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures');

export function fixtureFiles(ext: string, dir = FIXTURES_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...fixtureFiles(ext, path));
    else if (entry.endsWith(ext)) out.push(path);
  }
  return out;
}
