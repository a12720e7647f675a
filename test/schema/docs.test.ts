import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('docs/schema-language.md matches the compiler', () => {
  it('lists every error code the compiler can raise', () => {
    // The compiler's passes: declarations and properties, and the constraint pass.
    const code = ['compile.ts', 'constraints.ts']
      .map((f) => readFileSync(join(root, 'src', 'schema', f), 'utf8'))
      .join('\n');
    const codes = [
      ...new Set([...code.matchAll(/this\.error\(\s*'([A-Za-z]+)'/g)].map((m) => m[1])),
    ];
    expect(codes.length).toBeGreaterThan(20);
    const doc = readFileSync(join(root, 'docs', 'schema-language.md'), 'utf8');
    expect(codes.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
  });
});
