/** The error-code table (src/error-codes.ts) is complete, used, and docs/errors.md is current. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_AREAS, ERROR_CODES, exitStatusOf } from '../src/error-codes.js';
import { errorsMarkdown } from '../scripts/gen-errors-doc.js';
import { ROOT } from './helpers/cli.js';

/** The text of every .ts file under `dir`, but the table's own modules. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (path === join(ROOT, 'src', 'error-codes')) return [];
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && path !== join(ROOT, 'src', 'error-codes.ts')
      ? [readFileSync(path, 'utf8')]
      : [];
  });
}

describe('error codes as data', () => {
  it('docs/errors.md is generated from the table and current', () => {
    const docs = join(ROOT, 'docs');
    expect(readFileSync(join(docs, 'errors.md'), 'utf8')).toBe(errorsMarkdown(docs));
  });

  it('every code in the table is raised somewhere (no stale entries)', () => {
    const code = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'cli'))].join('\n');
    const unused = Object.keys(ERROR_CODES).filter((c) => !code.includes(`'${c}'`));
    expect(unused).toEqual([]);
  });

  it('the areas make the table, each code in exactly one area', () => {
    const areaCodes = Object.values(ERROR_CODE_AREAS).flatMap((area) => Object.keys(area));
    expect(areaCodes.length).toBe(new Set(areaCodes).size);
    expect(areaCodes.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('details keys use one casing (snake_case) and exit statuses follow the table', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      for (const key of spec.details) expect(key, `${code}.${key}`).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    expect(exitStatusOf('UsageError')).toBe(2);
    expect(exitStatusOf('ValidationError')).toBe(1);
    expect(exitStatusOf('SomethingUnknown')).toBe(1);
  });
});
