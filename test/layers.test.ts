import { describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ruleSet = require('../.dependency-cruiser.cjs');
const ruleNames = (ruleSet.forbidden as Array<{ name: string }>).map((r) => r.name);

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

/** Files that break every rule at least once, keyed by path. */
const PLANTED: Record<string, string> = {
  'src/errors.ts': "import { s } from './schema/ok.js';\nexport const e = s;\n",
  'src/version.ts': "import { c } from '../cli/ok.js';\nexport const v = c;\n",
  'src/index.ts': "import { d } from './drill/index.js';\nexport const i = d;\n",
  'src/repo.ts': 'export const r = 1;\n',
  'src/drill/index.ts': 'export const d = 1;\n',
  'src/lang/up.ts': "import { s } from '../schema/ok.js';\nexport const l = s;\n",
  'src/schema/ok.ts': 'export const s = 1;\n',
  'src/schema/bad.ts':
    "import { readFileSync } from 'node:fs';\nimport Database from 'better-sqlite3';\nexport const y = [readFileSync, Database];\n",
  'src/schema/up.ts': "import { qo } from '../query/ok.js';\nexport const su = qo;\n",
  'src/query/ok.ts': 'export const qo = 1;\n',
  'src/query/up.ts': "import { w } from '../write/ok.js';\nexport const q = w;\n",
  'src/storage/x.ts': 'export const x = 1;\n',
  'src/storage/up.ts': "import { a } from '../journal/a.js';\nexport const st = a;\n",
  // a cycle inside one layer
  'src/journal/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
  'src/journal/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  'src/journal/up.ts': "import { x } from '../storage/x.js';\nexport const j = x;\n",
  'src/embed/up.ts': "import { w } from '../write/ok.js';\nexport const em = w;\n",
  'src/write/ok.ts': 'export const w = 1;\n',
  'src/write/uses-repo.ts': "import { r } from '../repo.js';\nexport const u = r;\n",
  'src/write/up.ts': "import { rc } from '../recovery/ok.js';\nexport const wu = rc;\n",
  'src/read/up.ts': "import { w } from '../write/ok.js';\nexport const rd = w;\n",
  // the read layer importing the API (once a hole in the rules)
  'src/read/uses-repo.ts': "import { r } from '../repo.js';\nexport const ru = r;\n",
  // the protocol with its entry, and writers beside it
  'src/write/protocol/index.ts': "export { pr } from './run.js';\n",
  'src/write/protocol/run.ts': 'export const pr = 1;\n',
  'src/write/protocol/uses-writer.ts':
    "import { wx } from '../writer-x/ok.js';\nexport const pw = wx;\n",
  'src/write/writer-x/ok.ts': "import { pr } from '../protocol/index.js';\nexport const wx = pr;\n",
  'src/write/writer-x/part.ts': "import { wx } from './ok.js';\nexport const wp = wx;\n",
  'src/write/writer-y/inside.ts':
    "import { pr } from '../protocol/run.js';\nexport const wi = pr;\n",
  'src/write/writer-y/other.ts': "import { wx } from '../writer-x/ok.js';\nexport const wo = wx;\n",
  'src/write/single.ts': "import { wp } from './writer-x/part.js';\nexport const ws = wp;\n",
  'src/drill/writes.ts': "import { w } from '../write/ok.js';\nexport const dw = w;\n",
  'src/recovery/ok.ts': 'export const rc = 1;\n',
  'src/recovery/up.ts': "import { d } from '../drill/index.js';\nexport const ru = d;\n",
  'src/server/ok.ts': "import { r } from '../repo.js';\nexport const so = r;\n",
  'src/read/uses-server.ts': "import { so } from '../server/ok.js';\nexport const rs = so;\n",
  'ui/src/bad.tsx': "import { r } from '../../src/repo.js';\nexport const b = r;\n",
  'src/write/uses-ui.ts': "import { b } from '../../ui/src/bad.js';\nexport const wu2 = b;\n",
  'cli/ok.ts': 'export const c = 1;\n',
  'cli/bad.ts':
    "import { x } from '../src/storage/x.js';\nimport * as l from '@lancedb/lancedb';\nexport const z = [x, l];\n",
};

/**
 * Files of cli/, src/server/ and src/drill/ under `root` that call `operationContext()`
 * (the Repo's internal context, which skips the writable check): they write only through
 * the public API. A call is not an import, so dependency-cruiser cannot see it.
 */
function operationContextCallers(root: string): string[] {
  const walk = (dir: string): string[] =>
    !existsSync(dir)
      ? []
      : readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory()
            ? walk(join(dir, e.name))
            : e.name.endsWith('.ts')
              ? [join(dir, e.name)]
              : [],
        );
  return ['cli', 'src/server', 'src/drill']
    .flatMap((d) => walk(join(root, d)))
    .filter((f) => /\boperationContext\s*\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(root, f).split('\\').join('/'));
}

describe('layer rules (docs/architecture.md §Layers)', () => {
  it('the source tree has no violations', async () => {
    const violations = await violationsIn(['src', 'cli', 'scripts', 'ui']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('cli/, src/server/ and src/drill/ never call operationContext(); a planted call is found', () => {
    expect(operationContextCallers(process.cwd())).toEqual([]);
    const dir = mkdtempSync(join(process.cwd(), 'test', '.layers-'));
    try {
      mkdirSync(join(dir, 'src', 'server'), { recursive: true });
      writeFileSync(
        join(dir, 'src', 'server', 'load.ts'),
        'export const load = (repo: { operationContext(): unknown }) => repo.operationContext();\n',
      );
      expect(operationContextCallers(dir)).toEqual(['src/server/load.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every rule catches a planted violation (so the check cannot pass vacuously)', async () => {
    const dir = mkdtempSync(join(process.cwd(), 'test', '.layers-'));
    try {
      for (const [path, text] of Object.entries(PLANTED)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const violations = await violationsIn(['src', 'cli', 'ui'], dir);
      const caught = new Set(violations.map((v) => v.rule.name));
      expect([...caught].sort()).toEqual([...ruleNames].sort());
      const found = (rule: string) =>
        violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);
      expect(found('layers-do-not-import-the-api').sort()).toEqual([
        'src/read/uses-repo.ts -> src/repo.ts',
        'src/write/uses-repo.ts -> src/repo.ts',
      ]);
      expect(found('protocol-only-through-its-entry')).toEqual([
        'src/write/writer-y/inside.ts -> src/write/protocol/run.ts',
      ]);
      expect(found('protocol-imports-no-writer')).toEqual([
        'src/write/protocol/uses-writer.ts -> src/write/writer-x/ok.ts',
      ]);
      expect(found('writers-import-only-the-protocol').sort()).toEqual([
        'src/write/single.ts -> src/write/writer-x/part.ts',
        'src/write/writer-y/other.ts -> src/write/writer-x/ok.ts',
      ]);
      expect(found('consumers-write-through-the-api')).toEqual([
        'src/drill/writes.ts -> src/write/ok.ts',
      ]);
      expect(found('drill-only-from-cli-and-scripts').sort()).toEqual([
        'src/index.ts -> src/drill/index.ts',
        'src/recovery/up.ts -> src/drill/index.ts',
      ]);
      expect(found('no-circular').length).toBeGreaterThan(0);
      expect(found('embed-imports-only-below')).toEqual(['src/embed/up.ts -> src/write/ok.ts']);
      expect(found('server-uses-public-api')).toEqual(['src/server/ok.ts -> src/repo.ts']);
      expect(found('server-only-from-cli-and-scripts')).toEqual([
        'src/read/uses-server.ts -> src/server/ok.ts',
      ]);
      expect(found('ui-talks-only-http')).toEqual(['ui/src/bad.tsx -> src/repo.ts']);
      expect(found('no-ui-in-the-engine')).toEqual(['src/write/uses-ui.ts -> ui/src/bad.tsx']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
