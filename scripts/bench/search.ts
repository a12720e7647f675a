/**
 * search (issue 14 §5): top-10 full-text (bm25) and top-10 vector (cosine nearest)
 * reads through `repo.query` vs raw LanceDB running the same search on the same Lance
 * table (its inverted / IVF_FLAT index, the same columns, limit 10), in one process,
 * the sides alternating (ABBA), median of the runs. Also the index build time
 * (`repo.ensureIndexes`, informative). Every Lancelog answer is checked against the
 * raw one (the same ids).
 *
 * The corpus (seeded): `rows` documents, a title of 6–12 words drawn from a Zipf-like
 * vocabulary of 5,000 words and a 32-dimensional vector; 100k rows at scale 1.
 */
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { RawLance } from '../../src/storage/index.js';
import { alternate, median, nowMs, result, round, scaled, workDir } from './lib.js';
import type { BenchOptions, BenchResult } from './lib.js';
import { mulberry32 } from '../../src/drill/random.js';

export const FULL = { rows: 100_000, runs: 21, dim: 32 };
export const DEFAULT_SCALE = 1;

const PG = `node Doc {
  slug: String @key
  title: String @index
  embedding: Vector(${FULL.dim})
}
`;

const GQ = `
query fts($q: String) {
  match { $d: Doc }
  return { $d.slug, $d.title }
  order { bm25($d.title, $q) }
  limit 10
}
query knn($v: Vector(${FULL.dim})) {
  match { $d: Doc }
  return { $d.slug, $d.title }
  order { nearest($d.embedding, $v) }
  limit 10
}
`;

const VOCAB = 5000;
const word = (i: number): string => `w${i.toString(36)}`;

function corpus(rows: number): Array<{ slug: string; title: string; embedding: number[] }> {
  const r = mulberry32(14);
  const zipf = (): number => Math.min(VOCAB - 1, Math.floor(Math.exp(r() * Math.log(VOCAB))));
  return Array.from({ length: rows }, (_, i) => ({
    slug: `doc${i}`,
    title: Array.from({ length: 6 + Math.floor(r() * 7) }, () => word(zipf())).join(' '),
    embedding: Array.from({ length: FULL.dim }, () => r() * 2 - 1),
  }));
}

export async function run(o: BenchOptions): Promise<BenchResult[]> {
  const log = o.log ?? (() => undefined);
  const rows = scaled(FULL.rows, o.scale ?? DEFAULT_SCALE, 1000);
  const runs = Math.max(5, o.runs ?? FULL.runs);
  const work = workDir(o.dir, 'search');
  const dir = join(work.dir, 'repo');
  try {
    await Repo.init(dir, { schemaSource: PG, schemaFile: 'search.pg' });
    const repo = await Repo.open(dir);
    const docs = corpus(rows);
    log(`search: loading ${rows} documents`);
    await repo.transaction((tx) => {
      for (const d of docs) tx.insert('Doc', d);
    });
    log('search: building indexes');
    const t0 = nowMs();
    const built = await repo.ensureIndexes();
    const buildMs = nowMs() - t0;
    const perIndex = Object.fromEntries(
      built.value.built.map((b) => [`${b.column}_${b.kind}`, round(b.ms)]),
    );

    const def = repo.catalog.nodes.find((n) => n.name === 'Doc')!;
    const [sub, name] = def.tablePath.split('/');
    const raw = await RawLance.connect(join(dir, sub));
    const table = await raw.openTable(name);
    const r = mulberry32(7);
    // Two mid-frequency words (ranks 100–1000 of the vocabulary): the usual search. The
    // "common" set pairs one with one of the 10 most frequent words, which half the titles
    // contain with equal BM25 scores: the tie at the 10th row makes Lancelog fetch more
    // rows (its tie-break by id must see every tied row; docs/query-language.md).
    const mid = (): string => word(100 + Math.floor(r() * 900));
    const queries = Array.from({ length: 8 }, () => `${mid()} ${mid()}`);
    const common = Array.from({ length: 8 }, () => `${mid()} ${word(Math.floor(r() * 10))}`);
    const vectors = Array.from({ length: 8 }, () =>
      Array.from({ length: FULL.dim }, () => r() * 2 - 1),
    );
    const q = (n: string, params: Record<string, unknown>) =>
      repo.query({ source: GQ, file: 'search.gq', name: n, params });
    const ids = (xs: unknown[]): string => xs.map((x) => (x as { id: string }).id).join(',');
    const out: BenchResult[] = [];
    for (const [kind, label] of [
      ['fts', 'fts_top10'],
      ['knn', 'vector_top10'],
      ['fts', 'fts_common_terms_top10'],
    ] as const) {
      const texts = label === 'fts_common_terms_top10' ? common : queries;
      // Both sides answer the same question: the same ten documents.
      for (let i = 0; i < texts.length; i++) {
        const mine = await q(kind, kind === 'fts' ? { q: texts[i] } : { v: vectors[i] });
        const theirs =
          kind === 'fts'
            ? await table.searchText('title', texts[i], 10, ['id', 'slug', 'title'])
            : await table.searchVector('embedding', vectors[i], 10, ['id', 'slug', 'title']);
        const a = mine.rows
          .map((x) => String(x['d.slug']))
          .sort()
          .join(',');
        const b = ids(theirs).split(',').sort().join(',');
        if (a !== b)
          log(`search: ${kind} #${i} answers differ (a tie at the 10th row?): ${a} vs ${b}`);
      }
      const samples = await alternate(
        {
          lancelog: async (round) => {
            const i = round % texts.length;
            const t = nowMs();
            await q(kind, kind === 'fts' ? { q: texts[i] } : { v: vectors[i] });
            return nowMs() - t;
          },
          raw: async (round) => {
            const i = round % texts.length;
            const t = nowMs();
            if (kind === 'fts')
              await table.searchText('title', texts[i], 10, ['id', 'slug', 'title']);
            else await table.searchVector('embedding', vectors[i], 10, ['id', 'slug', 'title']);
            return nowMs() - t;
          },
        },
        { runs, warmup: 2, log, label: `search ${kind}` },
      );
      out.push(
        result({
          name: 'search',
          metric: `${label}_${rows}`,
          lancelog: median(samples.lancelog),
          baseline: median(samples.raw),
          unit: 'ms',
          baselineIs: `raw LanceDB: the same ${kind === 'fts' ? 'MatchQuery (inverted index)' : 'cosine nearestTo (IVF_FLAT)'} top-10 on the same table, same columns`,
          runs,
          target: { kind: 'ratio<=', value: 1.5 },
        }),
      );
    }
    out.push(
      result({
        name: 'search',
        metric: `index_build_${rows}`,
        lancelog: buildMs,
        baseline: null,
        unit: 'ms',
        baselineIs: 'none (informative): repo.ensureIndexes, one operation',
        runs: 1,
        extra: { perIndexMs: perIndex },
      }),
    );
    table.close();
    raw.close();
    await repo.close();
    return out;
  } finally {
    work.cleanup();
  }
}
