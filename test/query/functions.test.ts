import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileQueries, type QueryError } from '../../src/query/index.js';
import { CALL_CHECKS } from '../../src/query/compile-expr.js';
import {
  FUNCTION_NAMES,
  GQ_FUNCTIONS,
  arityOf,
  functionsOfKind,
  type FnKind,
  type PerFunction,
} from '../../src/query/functions.js';
import { STRING_PREDICATES, TEXT_MATCHERS } from '../../src/read/eval.js';
import { PREDICATE_SQL } from '../../src/read/pushdown.js';
import { LARGER_IS_BETTER } from '../../src/read/ranking.js';
import { ROOT } from '../helpers/cli.js';
import { runProcess } from '../helpers/process.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { catalog } from './helpers.js';

const tmp = useTmpDirs();

/** The table with one row of each kind that no code has a case for. */
type Planted = typeof GQ_FUNCTIONS & {
  planted_aggregate: { kind: 'aggregate'; args: readonly ['number']; result: 'F64' };
  planted_search: { kind: 'search'; args: readonly ['text-property', 'text']; result: 'Bool' };
  planted_predicate: { kind: 'predicate'; args: readonly ['text', 'text']; result: 'Bool' };
  planted_ranking: { kind: 'ranking'; args: readonly ['text-property', 'text']; result: 'rank' };
  planted_value: { kind: 'value'; args: readonly []; result: 'Date' };
};

const PLANTED_ROWS = `
  planted_aggregate: { kind: 'aggregate', args: ['number'], result: 'F64' },
  planted_search: { kind: 'search', args: ['text-property', 'text'], result: 'Bool' },
  planted_predicate: { kind: 'predicate', args: ['text', 'text'], result: 'Bool' },
  planted_ranking: { kind: 'ranking', args: ['text-property', 'text'], result: 'rank' },
  planted_value: { kind: 'value', args: [], result: 'Date' },
`;

/** Where a new function of each kind needs its case, and which planted names tsc reports there. */
const EXPECTED: Record<string, string[]> = {
  'src/query/compile-expr.ts': [
    'planted_aggregate',
    'planted_search',
    'planted_predicate',
    'planted_ranking',
    'planted_value',
  ],
  'src/query/compile-value.ts': ['planted_value'],
  'src/read/aggregate-vector.ts': ['planted_aggregate'],
  'src/read/eval.ts': ['planted_search', 'planted_predicate', 'planted_ranking'],
  'src/read/pushdown.ts': ['planted_predicate'],
  'src/read/ranking.ts': ['planted_ranking'],
  'src/read/shape.ts': ['planted_aggregate'],
  'src/read/topk.ts': ['planted_ranking'],
};

describe('the .gq function table', () => {
  it('a planted row fails to compile at every record keyed by the table (type level)', () => {
    // The real records compile against the real table…
    const checks: PerFunction<FnKind, unknown> = CALL_CHECKS;
    const matchers: PerFunction<'search', unknown> = TEXT_MATCHERS;
    const better: PerFunction<'ranking', boolean> = LARGER_IS_BETTER;
    const predicates: PerFunction<'predicate', unknown> = STRING_PREDICATES;
    const predicateSql: PerFunction<'predicate', unknown> = PREDICATE_SQL;
    // …and not against a table with a row they have no entry for.
    // @ts-expect-error the checker has no CALL_CHECKS entry for the planted functions
    const plantedChecks: PerFunction<FnKind, unknown, Planted> = CALL_CHECKS;
    // @ts-expect-error the executor has no matcher for the planted search function
    const plantedMatchers: PerFunction<'search', unknown, Planted> = TEXT_MATCHERS;
    // @ts-expect-error the executor has no order for the planted ranking
    const plantedBetter: PerFunction<'ranking', boolean, Planted> = LARGER_IS_BETTER;
    // @ts-expect-error the executor has no test for the planted string predicate
    const plantedPredicates: PerFunction<'predicate', unknown, Planted> = STRING_PREDICATES;
    // @ts-expect-error the pushdown has no SQL for the planted string predicate
    const plantedSql: PerFunction<'predicate', unknown, Planted> = PREDICATE_SQL;
    expect([plantedChecks, plantedMatchers, plantedBetter, plantedPredicates, plantedSql]).toEqual([
      checks,
      matchers,
      better,
      predicates,
      predicateSql,
    ]);
    // At run time too, each record has exactly one entry per function of its kind.
    expect(Object.keys(CALL_CHECKS).sort()).toEqual([...FUNCTION_NAMES].sort());
    expect(Object.keys(TEXT_MATCHERS).sort()).toEqual(functionsOfKind('search').sort());
    expect(Object.keys(LARGER_IS_BETTER).sort()).toEqual(functionsOfKind('ranking').sort());
    expect(Object.keys(STRING_PREDICATES).sort()).toEqual(functionsOfKind('predicate').sort());
    expect(Object.keys(PREDICATE_SQL).sort()).toEqual(functionsOfKind('predicate').sort());
  });

  it('tsc names every place a new function of each kind is missing: records and exhaustive switches', async () => {
    const dir = tmp();
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const table = join(dir, 'src', 'query', 'functions.ts');
    const anchor = "  now: { kind: 'value', args: [], result: 'DateTime' },\n";
    const source = readFileSync(table, 'utf8');
    expect(source).toContain(anchor);
    writeFileSync(table, source.replace(anchor, anchor + PLANTED_ROWS.trimStart()));
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    };
    const files = ['src/query/index.ts', 'src/read/index.ts'];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await runProcess(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], {
      cwd: dir,
    });
    expect(r.status).not.toBe(0);
    const reported = new Map<string, string>();
    for (const m of r.stdout.matchAll(/^(src\/[^(]+)\(\d+,\d+\): error TS\d+: (.*(?:\n {2}.*)*)/gm))
      reported.set(m[1], `${reported.get(m[1]) ?? ''}${m[2]}\n`);
    expect([...reported.keys()].sort(), r.stdout).toEqual(Object.keys(EXPECTED).sort());
    for (const [file, names] of Object.entries(EXPECTED)) {
      const text = reported.get(file)!;
      for (const name of names) expect(text, `${file} reports ${name}`).toContain(name);
      const others = Object.values(EXPECTED)
        .flat()
        .filter((n) => !names.includes(n));
      for (const name of others)
        expect(text, `${file} does not report ${name}`).not.toContain(name);
    }
  });

  it('the UnknownFunction list, the arity messages and the misuse of an operator come from the table', () => {
    const unknown = () =>
      compileQueries('query q() { match { $p: Person } return { nope($p) } }', 'q.gq', catalog);
    expect(unknown).toThrow(`(functions: ${FUNCTION_NAMES.join(', ')})`);
    for (const fn of FUNCTION_NAMES) {
      const { min, max } = arityOf(fn);
      const call = `${fn}(${Array<string>(max + 1)
        .fill('$p.name')
        .join(', ')})`;
      // A search is a match clause; every other kind may be returned.
      const source =
        GQ_FUNCTIONS[fn].kind === 'search'
          ? `query q() { match { $p: Person ${call} } return { $p.name } }`
          : `query q() { match { $p: Person } return { ${call} } limit 1 }`;
      const err = (() => {
        try {
          compileQueries(source, 'q.gq', catalog);
        } catch (e) {
          return e as QueryError;
        }
        throw new Error(`${fn}: compiled`);
      })();
      // A predicate is infix (`a starts_with b`): its call form is refused before the arity.
      if (GQ_FUNCTIONS[fn].kind === 'predicate') {
        expect(err.code, fn).toBe('FunctionMisuse');
        expect(err.message, fn).toContain(`write it in match as a ${fn} b`);
        continue;
      }
      expect(err.code, fn).toBe('ArgumentCount');
      expect(err.message, fn).toContain(
        `${fn}() takes ${min === max ? min : `${min} to ${max}`} argument`,
      );
    }
  });

  it('docs/query-language.md lists the table', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'query-language.md'), 'utf8');
    const rows = FUNCTION_NAMES.map((fn) => {
      const { kind, args, result } = GQ_FUNCTIONS[fn];
      return `| \`${fn}\` | ${kind} | ${args.length ? args.join(', ') : '—'} | ${result} |`;
    });
    expect(doc).toContain(
      ['| function | kind | arguments | result |', '|---|---|---|---|', ...rows].join('\n'),
    );
  });
});
