/**
 * Graph index files (docs/indexes.md "The graph index"): written by `index ensure`
 * and `optimize`, read by a new process, patched across later writes, removed by
 * `cleanup` — and never trusted: every answer is compared with a breadth-first search
 * over the edge rows the table holds (no graph index code involved), whatever was
 * done to the files.
 */
import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { CUTOFF_MARGIN_MS } from '../../src/write/maintenance/cleanup-policy.js';
import type { GraphIndexes } from '../../src/read/index.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { buildGraph } from './graph.js';

const tmp = useTmpDirs();

const QUERIES = `
query out($n: String) { match { $p: Person { name: $n }
  $p knows{1,3} $f } return { $f.name } order { $f.name } }
query inn($n: String) { match { $b: Person { name: $n }
  $a knows $b } return { $a.name } order { $a.name } }
query staff($n: String) { match { $co: Company { name: $n }
  $co worksAt $p } return { $p.name } order { $p.name } }
`;

type Edge = [string, string];

/** Shortest-distance reach over edge pairs, as the language defines it. */
function oracle(
  edges: Edge[],
  start: string,
  dir: 'out' | 'in',
  min: number,
  max: number,
  sameType: boolean,
): string[] {
  const next = new Map<string, string[]>();
  for (const [s, d] of edges) {
    const [a, b] = dir === 'out' ? [s, d] : [d, s];
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const seen = new Set<string>(sameType ? [start] : []);
  const found: string[] = [];
  let frontier = [start];
  for (let hop = 1; hop <= max && frontier.length > 0; hop++) {
    const nf: string[] = [];
    for (const n of frontier)
      for (const m of next.get(n) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        nf.push(m);
        if (hop >= min) found.push(m);
      }
    frontier = nf;
  }
  return found.sort();
}

/** Every traversal answer of the repo, and what the oracle says it must be. */
async function answers(repo: Repo): Promise<{ got: unknown; want: unknown }> {
  const edges = async (type: string): Promise<Edge[]> =>
    (await repo.scan(type)).map((r) => [String(r.src), String(r.dst)]);
  const knows = await edges('Knows');
  const works = await edges('WorksAt');
  const people = (await repo.scan('Person')).map((r) => String(r.name)).sort();
  const companies = (await repo.scan('Company')).map((r) => String(r.name)).sort();
  const got: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  const ask = async (name: string, n: string): Promise<string[]> =>
    (await repo.query({ source: QUERIES, file: 'g.gq', name, params: { n } })).rows.map((r) =>
      String(Object.values(r)[0]),
    );
  for (const p of people) {
    got[`out ${p}`] = await ask('out', p);
    want[`out ${p}`] = oracle(knows, p, 'out', 1, 3, true);
    got[`inn ${p}`] = await ask('inn', p);
    want[`inn ${p}`] = oracle(knows, p, 'in', 1, 1, true);
  }
  for (const c of companies) {
    got[`staff ${c}`] = await ask('staff', c);
    want[`staff ${c}`] = oracle(works, c, 'in', 1, 1, false);
  }
  return { got, want };
}

const graphsOf = (repo: Repo): GraphIndexes =>
  (repo as unknown as { graph: { indexes: GraphIndexes } }).graph.indexes;
const origins = (repo: Repo): Record<string, number> => Object.fromEntries(graphsOf(repo).origins);

function graphFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['edges'])
    for (const d of readdirSync(join(dir, sub)).filter((n) => n.endsWith('.graph')))
      for (const f of readdirSync(join(dir, sub, d))) out.push(join(dir, sub, d, f));
  return out.sort();
}

/** Opens `dir` in a fresh Repo (empty caches: what a new process sees), checks every answer. */
async function checkFresh(dir: string): Promise<Repo> {
  const repo = await Repo.open(dir);
  const { got, want } = await answers(repo);
  expect(got).toEqual(want);
  return repo;
}

async function withFreshRepo<T>(dir: string, fn: (repo: Repo) => Promise<T> | T): Promise<T> {
  const repo = await checkFresh(dir);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** A repo with the hand-made graph, its files written by `index ensure`. */
async function ensured(): Promise<string> {
  const dir = join(tmp(), 'repo');
  const repo = await buildGraph(dir);
  try {
    const out = await repo.ensureIndexes();
    expect(out.value.graphs.map((g) => [g.type, g.state])).toEqual([
      ['Knows', 'written'],
      ['WorksAt', 'written'],
    ]);
    expect((await repo.ensureIndexes()).value.graphs.map((g) => g.state)).toEqual([
      'current',
      'current',
    ]);
  } finally {
    await repo.close();
  }
  return dir;
}

describe('graph index files', () => {
  it('index ensure writes one file per edge table version; a new process answers from them', async () => {
    const dir = await ensured();
    expect(graphFiles(dir).map((f) => f.split('/').pop())).toEqual(['~main@2.lgi', '~main@2.lgi']);
    await withFreshRepo(dir, (repo) => {
      expect(origins(repo)).toEqual({ file: 2 });
      expect(graphsOf(repo).skippedFiles).toEqual([]);
    });
    // index list shows them built.
    await withFreshRepo(dir, async (repo) => {
      const rows = (await repo.indexes()).filter((r) => r.kind === 'graph');
      expect(rows.map((r) => [r.type, r.state, r.builtAtVersion, r.indexedRows])).toEqual([
        ['Knows', 'built', 2, 8],
        ['WorksAt', 'built', 2, 3],
      ]);
    });
  });

  it('a corrupt, truncated, empty, deleted or stale file is ignored and every answer stays exact', async () => {
    const pristine = await ensured();
    // A second version of Knows with its own file, to have a stale file to copy.
    const repo = await Repo.open(pristine);
    try {
      await repo.transaction((tx) => {
        tx.link('Knows', 'f', 'a');
      });
      await repo.ensureIndexes();
    } finally {
      await repo.close();
    }
    const knowsDir = (dir: string): string => graphFiles(dir)[0].split('/').slice(0, -1).join('/');
    const newest = (dir: string): string => join(knowsDir(dir), '~main@3.lgi');
    const damages: Record<string, (dir: string) => void> = {
      'a flipped byte in the out adjacency': (dir) => {
        const b = readFileSync(newest(dir));
        const header = JSON.parse(b.subarray(16, 16 + b.readUInt32LE(8)).toString('utf8')) as {
          sections: Array<{ name: string; offset: number }>;
        };
        // Bit 0 of a target: still a valid dense id, a wrong one — only the checksum tells.
        b[header.sections.find((x) => x.name === 'out.targets')!.offset] ^= 0x01;
        writeFileSync(newest(dir), b);
      },
      'a flipped byte in the header': (dir) => {
        const b = readFileSync(newest(dir));
        b[40] ^= 0x01;
        writeFileSync(newest(dir), b);
      },
      truncated: (dir) =>
        truncateSync(newest(dir), Math.floor(readFileSync(newest(dir)).length / 2)),
      empty: (dir) => truncateSync(newest(dir), 0),
      deleted: (dir) => rmSync(newest(dir)),
      "another version's file under this version's name": (dir) =>
        cpSync(join(knowsDir(dir), '~main@2.lgi'), newest(dir)),
      'a valid header claiming this version over older fragments': (dir) => {
        const b = readFileSync(join(knowsDir(dir), '~main@2.lgi'));
        const len = b.readUInt32LE(8);
        const header = b
          .subarray(16, 16 + len)
          .toString('utf8')
          .replace('"version":2', '"version":3');
        const json = Buffer.from(header, 'utf8');
        expect(json.length).toBe(len);
        json.copy(b, 16);
        b.writeUInt32LE(crc32(json), 12);
        writeFileSync(newest(dir), b);
      },
    };
    for (const [what, damage] of Object.entries(damages)) {
      const dir = join(tmp(), 'copy');
      cpSync(pristine, dir, { recursive: true });
      damage(dir);
      await withFreshRepo(dir, (r) => {
        const o = origins(r);
        expect(o.file ?? 0, what).toBe(1); // WorksAt's file is intact
        expect((o.built ?? 0) + (o['patched-file'] ?? 0), what).toBe(1);
        if (what !== 'deleted') expect(graphsOf(r).skippedFiles.length, what).toBeGreaterThan(0);
      });
      // index ensure repairs it.
      const fix = await Repo.open(dir);
      try {
        expect(
          (await fix.ensureIndexes()).value.graphs.map((g) => g.state),
          what,
        ).toEqual(['written', 'current']);
      } finally {
        await fix.close();
      }
      await withFreshRepo(dir, (r) => expect(origins(r), what).toEqual({ file: 2 }));
      rmSync(dir, { recursive: true });
    }
  });

  it('later versions are patched from the file: inserts, deletes, updates and cascades', async () => {
    const dir = await ensured();
    const writer = await Repo.open(dir);
    try {
      const steps: Array<(r: Repo) => Promise<unknown>> = [
        (r) => r.transaction((tx) => void tx.link('Knows', 'f', 'b')),
        (r) =>
          r.transaction(async (tx) => {
            tx.insert('Person', { name: 'g' });
            tx.link('Knows', 'g', 'f');
            tx.link('WorksAt', 'g', 'globex');
          }),
        (r) =>
          r.transaction(async (tx) => {
            const [edge] = await tx.scan('Knows', [
              { column: 'src', op: '=', value: 'a' },
              { column: 'dst', op: '=', value: 'c' },
            ]);
            await tx.unlink('Knows', String(edge.id));
          }),
        (r) =>
          r.transaction(async (tx) => {
            const [edge] = await tx.scan('Knows', [{ column: 'src', op: '=', value: 'd' }]);
            await tx.update('Knows', String(edge.id), { since: '2020-01-01' });
          }),
        // A node delete cascades to its edges in both tables.
        (r) => r.transaction(async (tx) => void (await tx.delete('Person', 'c'))),
      ];
      for (const step of steps) {
        await step(writer);
        await withFreshRepo(dir, (r) => {
          expect(origins(r)['patched-file'], JSON.stringify(origins(r))).toBeGreaterThanOrEqual(1);
          expect(origins(r).built).toBeUndefined();
        });
      }
    } finally {
      await writer.close();
    }
  });

  it('branches pinning the same version share one file; a branch that writes is patched from it', async () => {
    const dir = await ensured();
    const repo = await Repo.open(dir);
    try {
      repo.createBranch('feat');
      await repo.transaction((tx) => void tx.link('Knows', 'e', 'a'), { branch: 'feat' });
    } finally {
      await repo.close();
    }
    const r = await Repo.open(dir);
    try {
      const q = (branch: string) =>
        r.query({ source: QUERIES, file: 'g.gq', name: 'inn', params: { n: 'a' }, branch });
      // The branch first: its version is patched from main's file (its Lance branch forked there).
      expect((await q('feat')).rows.map((x) => x['a.name'])).toEqual(['c', 'e']);
      expect((await q('main')).rows.map((x) => x['a.name'])).toEqual(['c']);
      expect(origins(r)).toEqual({ file: 1, 'patched-file': 1 });
    } finally {
      await r.close();
    }
    await withFreshRepo(dir, () => undefined);
    expect(graphFiles(dir)).toHaveLength(2);
  });

  it('optimize writes the compacted version; cleanup removes the files of the versions it removes', async () => {
    const dir = await ensured();
    const repo = await Repo.open(dir);
    try {
      for (const p of ['a', 'b', 'c']) {
        await repo.transaction((tx) => void tx.link('Knows', p, 'f'));
        await repo.ensureIndexes();
      }
      const knows = (): string[] =>
        graphFiles(dir)
          .filter(
            (f) =>
              graphFiles(dir)[0].split('/').slice(0, -1).join('/') ===
              f.split('/').slice(0, -1).join('/'),
          )
          .map((f) => f.split('/').pop()!);
      expect(knows()).toEqual(['~main@2.lgi', '~main@3.lgi', '~main@4.lgi', '~main@5.lgi']);
      // Cleanup removes versions older than the oldest kept one by a margin (CUTOFF_MARGIN_MS).
      await setTimeout(CUTOFF_MARGIN_MS + 200);
      const opt = await repo.optimize();
      const written = opt.graphs.find((g) => g.tableKey === 'edge:Knows')!;
      expect(written.state).toBe('written');
      expect(knows()).toContain(`~main@${written.version}.lgi`);
      await repo.cleanup({ keep: 1, olderThanMs: null, confirm: true });
      expect(knows()).toEqual([`~main@${written.version}.lgi`]);
    } finally {
      await repo.close();
    }
    await withFreshRepo(dir, (r) => expect(origins(r)).toEqual({ file: 2 }));
  });
});
