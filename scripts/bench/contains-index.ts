/**
 * contains-index (issue 34): can a Lance index serve `.gq`'s String `contains` (an exact
 * substring test) better than a filtered scan, in lancedb 0.37.1? Three copies of one
 * table of short texts: no index (the baseline: `contains(text, …)` as a scan filter),
 * an FM-index (Lance's exact substring index, which the same SQL filter uses), and an
 * inverted index with a trigram tokenizer probed with every trigram of the needle, then
 * rechecked exactly. Needles from rare to very common. Every side's answer is checked
 * equal to the scan's (the trigram probe drops every row for a needle shorter than 3).
 * The outcome decides docs/indexes.md "contains".
 */
import { mkdirSync } from 'node:fs';
import { compileSchema, arrowSchemaFor } from '../../src/schema/index.js';
import { RawLance, type RawLanceTable } from '../../src/storage/index.js';
import { mulberry32 } from '../../src/drill/random.js';
import {
  alternate,
  median,
  nowMs,
  result,
  round,
  scaled,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const FULL = { rows: 100_000, runs: 5 };
export const DEFAULT_SCALE = 0.1;

const PG = 'node Doc { text: String }';
const WORDS = ['graph', 'vector', 'lance', 'table', 'query', 'index', 'node', 'edge', 'ramen'];

/**
 * Six words with a number each: `ramen123 ` is in about 0.07% of the rows, `ramen12`
 * 0.7%, `men1` 7%, `ramen` half.
 */
function texts(n: number): string[] {
  const r = mulberry32(7);
  const word = (): string => `${WORDS[Math.floor(r() * WORDS.length)]}${Math.floor(r() * 1000)}`;
  return Array.from({ length: n }, () => Array.from({ length: 6 }, word).join(' '));
}

const NEEDLES: Array<[string, string]> = [
  ['rare', 'ramen123 '],
  ['selective', 'ramen12'],
  ['common', 'men1'],
  ['very_common', 'ramen'],
  // Shorter than a trigram: the trigram probe finds nothing.
  ['short', 'n1'],
];

async function table(raw: RawLance, name: string, docs: string[]): Promise<RawLanceTable> {
  const def = compileSchema(PG, 'bench.pg').nodes[0];
  const t = await raw.createEmptyTable(name, arrowSchemaFor(def));
  await t.add(docs.map((text, i) => ({ id: `d${i}`, text })));
  return t;
}

const sql = (needle: string): string => `contains(text, '${needle.replaceAll("'", "''")}')`;

export async function run(o: BenchOptions): Promise<BenchResult[]> {
  const log = o.log ?? (() => undefined);
  const rows = scaled(FULL.rows, o.scale ?? DEFAULT_SCALE, 1000);
  const runs = Math.max(5, o.runs ?? FULL.runs);
  const work = workDir(o.dir, 'contains-index');
  try {
    mkdirSync(work.dir, { recursive: true });
    const raw = await RawLance.connect(work.dir);
    const docs = texts(rows);
    const [scan, fm, ngram] = await Promise.all(
      ['scan', 'fm', 'ngram'].map((n) => table(raw, n, docs)),
    );
    const builds: Record<string, number> = {};
    for (const [t, kind] of [
      [fm, 'fm'],
      [ngram, 'ngram'],
    ] as const) {
      const t0 = nowMs();
      await t.createIndex('text', kind);
      builds[kind] = round(nowMs() - t0);
    }
    const sides = {
      scan: (needle: string) => scan.idsWhere(sql(needle)),
      fm: (needle: string) => fm.idsWhere(sql(needle)),
      ngram: async (needle: string) =>
        (
          (await ngram.searchAllTokens('text', needle, ['id', 'text'])) as Array<{
            id: string;
            text: string;
          }>
        )
          .filter((d) => d.text.includes(needle))
          .map((d) => d.id),
    };
    const out: BenchResult[] = [];
    for (const [label, needle] of NEEDLES) {
      const want = (await sides.scan(needle)).sort().join(',');
      const agree: Record<string, boolean> = {};
      for (const side of ['fm', 'ngram'] as const)
        agree[side] = (await sides[side](needle)).sort().join(',') === want;
      const timed = (side: keyof typeof sides) => async () => {
        const t0 = nowMs();
        await sides[side](needle);
        return nowMs() - t0;
      };
      const samples = await alternate(
        { scan: timed('scan'), fm: timed('fm'), ngram: timed('ngram') },
        { runs, warmup: 1, log, label: `contains-index ${label}` },
      );
      for (const side of ['fm', 'ngram'] as const)
        out.push(
          result({
            name: 'contains-index',
            metric: `contains_${label}_${side}_ms`,
            lancelog: median(samples[side]),
            baseline: median(samples.scan),
            unit: 'ms',
            baselineIs: 'the same table without an index: contains(text, needle) as a scan filter',
            runs,
            extra: {
              rows,
              needle,
              matches: want === '' ? 0 : want.split(',').length,
              sameAnswer: agree[side],
              buildMs: builds[side],
            },
          }),
        );
    }
    raw.close();
    return out;
  } finally {
    work.cleanup();
  }
}
