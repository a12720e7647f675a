/** The error-code table (src/error-codes.ts) is complete, used, and docs/errors.md is current. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, exitStatusOf } from '../src/error-codes.js';
import { errorsMarkdown } from '../scripts/gen-errors-doc.js';
import { ROOT } from './helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [readFileSync(join(dir, e.name), 'utf8')]
        : [],
  );
}

describe('error codes as data', () => {
  it('docs/errors.md is generated from the table and current', () => {
    const docs = join(ROOT, 'docs');
    expect(readFileSync(join(docs, 'errors.md'), 'utf8')).toBe(errorsMarkdown(docs));
  });

  it('every code in the table is raised somewhere (no stale entries)', () => {
    const code = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'cli'))]
      .filter((s) => !s.includes('export const ERROR_CODES'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((c) => !code.includes(`'${c}'`));
    expect(unused).toEqual([]);
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
