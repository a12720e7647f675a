import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandPaths } from '../../cli/program.js';
import { ROOT } from '../helpers/cli.js';

describe('docs/cli.md matches the CLI', () => {
  it('documents every command under a heading', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    const headings = [...doc.matchAll(/^#+ `lancelog ([a-z -]+?)(?: [[<-].*)?`$/gm)].map((m) =>
      m[1].trim(),
    );
    const paths = commandPaths(buildProgram(false));
    expect(paths.length).toBeGreaterThanOrEqual(3);
    expect(paths.filter((p) => !headings.includes(p))).toEqual([]);
    expect(headings.filter((h) => !paths.includes(h))).toEqual([]);
  });
});
