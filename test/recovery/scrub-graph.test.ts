/**
 * `lancelog doctor --deep` and the graph index files (docs/cli.md "doctor"): they are
 * derived data, so a bad one — damaged, another version's, of other fragments (stale),
 * or of a version the table no longer has — is reported as `bad-graph-index-file`, and
 * `--repair` (no `--confirm`: nothing is lost) removes it. Every traversal answers as
 * in the intact repo afterwards.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, Repo } from '../../src/index.js';
import { buildGraph } from '../read/graph.js';

const QUERY = `query out($n: String) { match { $p: Person { name: $n }
  $p knows{1,3} $f } return { $f.name } order { $f.name } }`;

let root: string;
let pristine: string;
/** What each person reaches over Knows in the intact repo. */
let intact: Record<string, string[]>;

async function reach(dir: string): Promise<Record<string, string[]>> {
  const repo = await Repo.open(dir, { readOnly: true });
  try {
    const out: Record<string, string[]> = {};
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f'])
      out[n] = (
        await repo.query({ source: QUERY, file: 'g.gq', name: 'out', params: { n } })
      ).rows.map((r) => String(Object.values(r)[0]));
    return out;
  } finally {
    await repo.close();
  }
}

/** The directory of Knows's graph index files. */
function knowsDir(dir: string): string {
  const graphs = readdirSync(join(dir, 'edges'))
    .filter((n) => n.endsWith('.graph'))
    .map((n) => join(dir, 'edges', n));
  const knows = graphs.find((g) => readdirSync(g).includes('~main@3.lgi'));
  expect(knows).toBeDefined();
  return knows!;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-scrub-graph-'));
  pristine = join(root, 'repo');
  const repo = await buildGraph(pristine);
  try {
    await repo.ensureIndexes();
    await repo.transaction((tx) => {
      tx.link('Knows', 'f', 'a');
    });
    await repo.ensureIndexes(); // Knows ~main@3.lgi beside ~main@2.lgi
  } finally {
    await repo.close();
  }
  intact = await reach(pristine);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rewrites a file's header JSON in place (same length) and its CRC. */
function rewriteHeader(b: Buffer, edit: (json: string) => string): void {
  const len = b.readUInt32LE(8);
  const json = Buffer.from(edit(b.subarray(16, 16 + len).toString('utf8')), 'utf8');
  expect(json.length).toBe(len);
  json.copy(b, 16);
  b.writeUInt32LE(crc32(json), 12);
}

const DAMAGES: Record<string, { file: string; damage: (graphDir: string) => void }> = {
  'a flipped byte': {
    file: '~main@3.lgi',
    damage: (g) => {
      const b = readFileSync(join(g, '~main@3.lgi'));
      b[b.length - 9] ^= 0x01;
      writeFileSync(join(g, '~main@3.lgi'), b);
    },
  },
  truncated: {
    file: '~main@3.lgi',
    damage: (g) => truncateSync(join(g, '~main@3.lgi'), 100),
  },
  empty: { file: '~main@3.lgi', damage: (g) => truncateSync(join(g, '~main@3.lgi'), 0) },
  "another version's file under this version's name": {
    file: '~main@3.lgi',
    damage: (g) => cpSync(join(g, '~main@2.lgi'), join(g, '~main@3.lgi')),
  },
  'whole and named for this version, but of older fragments (stale)': {
    file: '~main@3.lgi',
    damage: (g) => {
      const b = readFileSync(join(g, '~main@2.lgi'));
      rewriteHeader(b, (h) => h.replace('"version":2', '"version":3'));
      writeFileSync(join(g, '~main@3.lgi'), b);
    },
  },
  'of a version the table does not have (orphan)': {
    file: '~main@9.lgi',
    damage: (g) => {
      const b = readFileSync(join(g, '~main@3.lgi'));
      rewriteHeader(b, (h) => h.replace('"version":3', '"version":9'));
      writeFileSync(join(g, '~main@9.lgi'), b);
    },
  },
};

describe('lancelog doctor --deep: graph index files', () => {
  it('an intact repo: every graph index file checks out', async () => {
    const r = await doctor(pristine, { deep: true });
    expect(r.problems).toEqual([]);
    expect(r.checks).toContain("graph index files: whole, and of the version's fragments");
  });

  for (const [what, { file, damage }] of Object.entries(DAMAGES))
    it(`reports a graph index file ${what}; --repair removes it and every answer stays exact`, async () => {
      const dir = join(root, what.replace(/\W+/g, '-'));
      cpSync(pristine, dir, { recursive: true });
      const graphDir = knowsDir(dir);
      damage(graphDir);
      const found = await doctor(dir, { deep: true });
      expect(found.ok).toBe(false);
      expect(found.problems.map((p) => [p.kind, p.files![0].path.split('/').pop()])).toEqual([
        ['bad-graph-index-file', file],
      ]);
      expect(found.problems[0]).toMatchObject({ repairable: true, tableKey: 'edge:Knows' });
      // Derived data: no --confirm needed, nothing is lost.
      const fixed = await doctor(dir, { deep: true, repair: true });
      expect(fixed.repaired).toBe(true);
      expect(fixed.problems[0].repaired).toBe('removed');
      expect(existsSync(join(graphDir, file))).toBe(false);
      expect((await doctor(dir, { deep: true })).ok).toBe(true);
      expect(await reach(dir)).toEqual(intact);
    });
});

describe('a stale graph index file left by a re-pin', () => {
  it('Lance numbers the next commit as the version a re-pin dropped: doctor --deep names the old file stale, --repair removes it, answers stay exact', async () => {
    const dir = join(root, 'repinned');
    cpSync(pristine, dir, { recursive: true });
    const graphDir = knowsDir(dir);
    // Knows v3's manifest lost (a power cut): its file ~main@3.lgi is of v3 as it was.
    const versions = join(graphDir.replace(/\.graph$/, '.lance'), '_versions');
    const v3 = readdirSync(versions)
      .filter((f) => f.endsWith('.manifest'))
      .sort()
      .at(0)!; // Lance's names count down from 2^64 − 1: the newest sorts first
    rmSync(join(versions, v3));
    const lost = await doctor(dir, { repair: true });
    expect(lost.problems.map((p) => p.kind)).toEqual(['lost-published-version']);
    expect(lost.repaired).toBe(true);
    const repo = await Repo.open(dir);
    try {
      await repo.transaction((tx) => {
        tx.link('Knows', 'e', 'f'); // Lance commits it as version 3 again
      });
    } finally {
      await repo.close();
    }
    // What the table says, with no graph index file involved.
    const bare = join(root, 'repinned-bare');
    cpSync(dir, bare, { recursive: true });
    rmSync(knowsDir(bare), { recursive: true });
    const want = await reach(bare);
    // The lost commit's f→a is gone, e→f is new: the stale file would answer otherwise.
    expect([want.e, want.f]).toEqual([['f'], []]);
    expect(await reach(dir)).toEqual(want); // reads skip the stale file
    const found = await doctor(dir, { deep: true });
    expect(found.problems).toMatchObject([
      {
        kind: 'bad-graph-index-file',
        version: 3,
        files: [
          { problem: 'invalid', message: "its fragments are not the version's (a stale file)" },
        ],
      },
    ]);
    expect((await doctor(dir, { deep: true, repair: true })).repaired).toBe(true);
    expect(existsSync(join(graphDir, '~main@3.lgi'))).toBe(false);
    expect((await doctor(dir, { deep: true })).ok).toBe(true);
    expect(await reach(dir)).toEqual(want);
  });
});
