import { describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ruleSet = require('../.dependency-cruiser.cjs');

async function violationsIn(paths: string[], baseDir?: string) {
  const result = await cruise(paths, {
    ...ruleSet.options,
    ruleSet,
    validate: true,
    ...(baseDir ? { baseDir } : {}),
  });
  const output = result.output as {
    summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
  };
  return output.summary.violations;
}

describe('layer rules (ARCHITECTURE §1)', () => {
  it('the source tree has no violations', async () => {
    const violations = await violationsIn(['src', 'cli']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('the rules catch a violation (so the check cannot pass vacuously)', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test', '.layers-'));
    try {
      mkdirSync(join(dir, 'src', 'schema'), { recursive: true });
      mkdirSync(join(dir, 'cli'), { recursive: true });
      mkdirSync(join(dir, 'src', 'storage'), { recursive: true });
      writeFileSync(join(dir, 'src', 'storage', 'x.ts'), 'export const x = 1;\n');
      mkdirSync(join(dir, 'src', 'read'), { recursive: true });
      writeFileSync(join(dir, 'src', 'repo.ts'), 'export const r = 1;\n');
      writeFileSync(
        join(dir, 'src', 'read', 'bad.ts'),
        "import { r } from '../repo.js';\nexport const w = r;\n",
      );
      writeFileSync(
        join(dir, 'src', 'schema', 'bad.ts'),
        "import { readFileSync } from 'node:fs';\nimport Database from 'better-sqlite3';\nexport const y = [readFileSync, Database];\n",
      );
      writeFileSync(
        join(dir, 'cli', 'bad.ts'),
        "import { x } from '../src/storage/x.js';\nimport * as l from '@lancedb/lancedb';\nexport const z = [x, l];\n",
      );
      const violations = await violationsIn(['src', 'cli'], dir);
      const rules = new Set(violations.map((v) => v.rule.name));
      expect(rules).toEqual(
        new Set([
          'compiler-does-no-io',
          'sqlite-only-in-journal',
          'cli-uses-public-api',
          'lancedb-only-in-storage',
          'read-below-repo',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
