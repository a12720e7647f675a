/**
 * Cold start (docs/performance.md): the CLI registers its commands from light modules
 * and loads each command's implementation only when it runs. These checks keep it so:
 * the bundle's start-up chunk (the entry and what it imports statically) holds commander,
 * cli/ registration and src/light.ts's modules — never the API, zod, SQLite or the server —
 * and the light copy of the event-kind names matches the journal's schemas.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/index.js';
import { EVENT_KIND_NAMES } from '../../src/light.js';
import { ROOT } from '../helpers/cli.js';

interface Metafile {
  outputs: Record<
    string,
    { imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }
  >;
}

/** The inputs of every output file Node evaluates before the CLI runs a command. */
function startupInputs(meta: Metafile): string[] {
  const entry = Object.keys(meta.outputs).find((o) => o.endsWith('dist/cli/lancelog.mjs'));
  expect(entry, 'dist/cli/lancelog.mjs in the metafile').toBeDefined();
  const seen = new Set<string>();
  const todo = [entry!];
  while (todo.length > 0) {
    const out = todo.pop()!;
    if (seen.has(out)) continue;
    seen.add(out);
    for (const i of meta.outputs[out].imports)
      if (i.kind === 'import-statement' && meta.outputs[i.path]) todo.push(i.path);
  }
  return [...seen].flatMap((o) => Object.keys(meta.outputs[o].inputs));
}

describe('the CLI start-up stays light', () => {
  it('the entry chunk of the bundle loads only commander, command registration and src/light.ts', () => {
    const meta = JSON.parse(
      readFileSync(join(ROOT, 'dist', 'cli', 'bundle-meta.json'), 'utf8'),
    ) as Metafile;
    const inputs = startupInputs(meta);
    expect(inputs).toContain('dist/cli/commands/history.js');
    const allowed = [
      /^node_modules\/commander\//,
      /^dist\/cli\/(main|program|commands|lazy-action|options|output|read-formats)\.js$/,
      /^dist\/cli\/commands\/[a-z]+\.js$/, // registration modules (no -actions)
      /^dist\/src\/(light|defaults|errors|error-codes|failpoints|version)\.js$/,
      /^dist\/src\/error-codes\/[a-z]+\.js$/, // the error-code table's areas
      /^dist\/src\/journal\/event-kinds\.js$/,
      /^dist\/src\/drill\/model\.js$/,
      /^dist\/src\/server\/actions\.js$/,
    ];
    expect(inputs.filter((i) => !allowed.some((re) => re.test(i)))).toEqual([]);
    // And the heavy parts are in the bundle, in chunks of their own.
    const all = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
    for (const heavy of [
      'dist/src/index.js',
      'dist/src/repo.js',
      'dist/cli/commands/history-actions.js',
    ])
      expect(all).toContain(heavy);
    expect(all.some((i) => i.startsWith('node_modules/zod/'))).toBe(true);
  });

  it("the light event-kind names are the journal schemas' kinds, in order", () => {
    expect([...EVENT_KIND_NAMES]).toEqual(EVENT_KINDS);
  });
});
