/**
 * `lancelog doctor --deep` (the scrub, docs/recovery.md "doctor"): every kind of Lance
 * file a pinned version needs — data, deletion, index, manifest, transaction — is
 * truncated, deleted or has a byte flipped in a copy of one real repo, and the scrub must
 * name it. `--repair --confirm` then re-pins the damaged head, and no read answers
 * silently wrong afterwards.
 */
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, Repo } from '../../src/index.js';
import { Journal } from '../../src/journal/index.js';
import { compileSchema, schemaFingerprint } from '../../src/schema/index.js';
import { TableStore } from '../../src/storage/index.js';
import { rejection } from '../helpers/errors.js';
import { runCli } from '../helpers/cli.js';

const SCHEMA = `node Person {
  name: String @key
  city: String? @index
  age: I32? @index
}
`;

type Damage = 'truncate' | 'delete' | 'flip';
const KINDS = {
  data: /^data\//,
  deletion: /^_deletions\//,
  index: /^_indices\//,
  manifest: /^_versions\/\d+\.manifest$/,
  transaction: /^_transactions\//,
} as const;
type Kind = keyof typeof KINDS;

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}

function damage(file: string, how: Damage): void {
  if (how === 'truncate') truncateSync(file, 0);
  else if (how === 'delete') rmSync(file);
  else {
    const b = readFileSync(file);
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(file, b);
  }
}

let root: string;
let repoDir: string;
/** Person's table directory, relative to the repo. */
let tableRel: string;
/** Per kind, one file of that kind a pinned version needs (relative to the table directory). */
const picked = {} as Record<Kind, string>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-scrub-'));
  repoDir = join(root, 'repo');
  await Repo.init(repoDir, { schemaSource: SCHEMA, schemaFile: 'schema.pg' });
  const repo = await Repo.open(repoDir);
  try {
    await repo.transaction((tx) => {
      for (const name of ['Alice', 'Bob', 'Carol']) tx.insert('Person', { name, city: 'Oslo' });
    });
    await repo.transaction(async (tx) => tx.update('Person', 'Bob', { age: 31 })); // a deletion file
    await repo.ensureIndexes({}); // index files
    await repo.transaction((tx) => tx.insert('Person', { name: 'Dave', city: 'Rome' }));
    tableRel = `${repo.typeDef('Person').tablePath}.lance`;
  } finally {
    await repo.close();
  }
  const tableDir = join(repoDir, tableRel);
  const byAge = filesUnder(tableDir)
    .map((f) => relative(tableDir, f))
    .filter((f) => !f.endsWith('.json'));
  for (const [kind, re] of Object.entries(KINDS) as Array<[Kind, RegExp]>) {
    const matching = byAge.filter((f) => re.test(f));
    expect(matching.length, kind).toBeGreaterThan(0);
    picked[kind] = matching.sort().at(kind === 'manifest' ? 0 : -1)!;
  }
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const EXPECTED: Record<Damage, string[]> = {
  truncate: ['size', 'unreadable'],
  delete: ['missing'],
  flip: ['checksum'],
};

describe('lancelog doctor --deep', () => {
  it('a healthy repo: every file of every pinned version checks out, all with a checksum', async () => {
    const r = await doctor(repoDir, { deep: true });
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.checks).toContain('every file of every pinned version: exists, size, sha256');
    expect(r.scrub!.files).toBeGreaterThan(10);
    expect(r.scrub!.hashed).toBe(r.scrub!.files);
    expect(r.scrub!.withoutChecksum).toBe(0);
  });

  for (const kind of Object.keys(KINDS) as Kind[])
    for (const how of ['truncate', 'delete', 'flip'] as Damage[])
      it(`finds a ${kind} file ${how === 'flip' ? 'with a byte flipped' : `${how}d`}`, async () => {
        const dir = join(root, `${kind}-${how}`);
        cpSync(repoDir, dir, { recursive: true });
        const file = picked[kind];
        damage(join(dir, tableRel, file), how);
        const r = await doctor(dir, { deep: true });
        expect(r.ok).toBe(false);
        const found = r.problems
          .filter((p) => p.kind === 'damaged-version')
          .flatMap((p) => p.files!.map((f) => ({ ...f, version: p.version })))
          .filter((f) => f.path === file);
        expect(found.length, JSON.stringify(r.problems)).toBeGreaterThan(0);
        for (const f of found) expect(EXPECTED[how]).toContain(f.problem);
        // Only the transaction file leaves reads working; anything else names unreadable commits.
        const p = r.problems.find((x) => x.files?.some((f) => f.path === file))!;
        if (kind === 'transaction') expect(p.message).toContain('reads of it still work');
        else expect(p.commits!.length).toBeGreaterThan(0);
      });
});

/** Person's rows at every commit of main (oldest first), as read from an intact repo. */
async function rowsAtCommits(dir: string): Promise<Array<{ commit: string; rows: string }>> {
  const repo = await Repo.open(dir, { readOnly: true });
  try {
    const out: Array<{ commit: string; rows: string }> = [];
    for (const c of repo.listCommits({ branch: 'main' }).reverse())
      out.push({ commit: c.id, rows: JSON.stringify(await repo.scan('Person', { commit: c.id })) });
    return out;
  } finally {
    await repo.close();
  }
}

describe('lancelog doctor --deep --repair --confirm', () => {
  for (const kind of Object.keys(KINDS) as Kind[])
    for (const how of ['truncate', 'delete', 'flip'] as Damage[])
      it(`after repairing a ${kind} file ${how === 'flip' ? 'with a byte flipped' : `${how}d`}, every read answers as the intact repo did at that commit, or refuses`, async () => {
        const intact = await rowsAtCommits(repoDir);
        const dir = join(root, `repair-${kind}-${how}`);
        cpSync(repoDir, dir, { recursive: true });
        damage(join(dir, tableRel, picked[kind]), how);
        const r = await doctor(dir, { deep: true, repair: true, confirm: true });
        expect(r.repaired, JSON.stringify(r.problems)).toBe(true);
        expect((await doctor(dir, { deep: true })).ok).toBe(true);
        const repo = await Repo.open(dir);
        try {
          for (const { commit, rows } of intact) {
            let got: string;
            try {
              got = JSON.stringify(await repo.scan('Person', { commit }));
            } catch (err) {
              expect((err as { code?: string }).code, `commit ${commit}`).toBe('VersionDamaged');
              continue;
            }
            expect(got, `commit ${commit}`).toBe(rows);
          }
          // The head is some intact commit's state, and takes a write.
          const head = JSON.stringify(await repo.scan('Person'));
          expect(intact.map((c) => c.rows)).toContain(head);
          await repo.transaction((tx) => tx.insert('Person', { name: 'Zed' }));
        } finally {
          await repo.close();
        }
      });

  it('a flipped byte made a read silently wrong (Alice read as Alicd); the repair re-pins to the newest intact version and no read is wrong afterwards', async () => {
    const dir = join(root, 'alice');
    await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'schema.pg' });
    let repo = await Repo.open(dir);
    const tableDir = join(dir, `${repo.typeDef('Person').tablePath}.lance`);
    const kept = await repo.transaction((tx) => tx.insert('Person', { name: 'Bob' }));
    const had = new Set(filesUnder(join(tableDir, 'data')));
    const lost = await repo.transaction((tx) => tx.insert('Person', { name: 'Alice' }));
    await repo.close();
    const file = filesUnder(join(tableDir, 'data')).find((f) => !had.has(f))!;
    const bytes = readFileSync(file);
    // Alice → Alicd, in every column that holds her name (her id is her key).
    for (let i = bytes.indexOf('Alice'); i >= 0; i = bytes.indexOf('Alice', i + 1))
      bytes[i + 4] ^= 1;
    writeFileSync(file, bytes);

    repo = await Repo.open(dir);
    try {
      // The damage the issue found: a read answers, silently wrong.
      expect(await repo.get('Person', 'Alice')).toBeNull();
      expect((await repo.scan('Person')).map((r) => r.name)).toContain('Alicd');
    } finally {
      await repo.close();
    }

    const found = await doctor(dir, { deep: true });
    const problem = found.problems.find((p) => p.kind === 'damaged-version')!;
    expect(problem.commits).toEqual([lost.commitId]);
    expect(problem.heads).toEqual(['main']);
    expect(problem.instructions).toContain(
      `re-pin main to manifest version 2 (commit ${kept.commitId})`,
    );

    // Without --confirm nothing changes.
    const unconfirmed = await doctor(dir, { deep: true, repair: true });
    expect(unconfirmed.repaired).toBe(false);
    expect(unconfirmed.problems[0].repaired).toMatch(/add --confirm/);

    const repaired = await doctor(dir, { deep: true, repair: true, confirm: true });
    expect(repaired.repaired).toBe(true);
    expect(repaired.problems[0].repaired).toContain(`dropping commits ${lost.commitId}`);

    repo = await Repo.open(dir);
    try {
      expect((await repo.scan('Person')).map((r) => r.name)).toEqual(['Bob']);
      expect(await repo.get('Person', 'Alice')).toBeNull();
      // Time travel to the damaged commit refuses instead of answering wrong.
      const err = await rejection(repo.scan('Person', { commit: lost.commitId! }));
      expect(err).toMatchObject({ code: 'VersionDamaged' });
      expect((await repo.scan('Person', { commit: kept.commitId! })).map((r) => r.name)).toEqual([
        'Bob',
      ]);
      // The Repair is journaled, naming what it lost; the repo takes writes.
      const events = repo.listEvents({ kind: 'repair.damage_recorded' });
      expect(events).toHaveLength(1);
      expect(
        events[0].kind === 'repair.damage_recorded' && events[0].payload.dropped_commits,
      ).toEqual([lost.commitId]);
      expect(repo.getOperation(events[0].opId)).toMatchObject({
        kind: 'Repair',
        state: 'completed',
      });
      await repo.transaction((tx) => tx.insert('Person', { name: 'Alice' }));
      expect((await repo.scan('Person')).map((r) => r.name).sort()).toEqual(['Alice', 'Bob']);
    } finally {
      await repo.close();
    }
    // Healthy again; the recorded damage is reported as known.
    const again = await doctor(dir, { deep: true });
    expect(again.ok).toBe(true);
    expect(again.scrub!.known.map((k) => k.commits)).toEqual([[lost.commitId]]);
  });

  it('the CLI: --deep reports, exits 1; --repair --confirm repairs, exits 0', async () => {
    const dir = join(root, 'cli');
    cpSync(repoDir, dir, { recursive: true });
    damage(join(dir, tableRel, picked.data), 'truncate');
    const found = await runCli(['doctor', '--deep', dir]);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/scrub: \d+ version\(s\), \d+ file\(s\)/);
    expect(found.stdout).toContain(`[damaged-version]`);
    expect(found.stdout).toContain(picked.data);
    const fixed = await runCli(['doctor', '--deep', '--repair', '--confirm', '--json', dir]);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ repaired: true });
    expect((await runCli(['doctor', '--deep', dir])).code).toBe(0);
  });
});

describe('files written before checksums existed', () => {
  it('are checked for existence and size, and counted as without a checksum', async () => {
    // A repo whose journal records no digests (as every journal before checksums).
    const dir = join(root, 'old');
    const store = await TableStore.open(dir);
    const repoOf = join(root, 'probe');
    await Repo.init(repoOf, { schemaSource: SCHEMA, schemaFile: 'schema.pg' });
    const probe = await Repo.open(repoOf, { readOnly: true });
    const def = probe.typeDef('Person');
    const schema = await (await probe.store.openTable(def.tableKey, def.tablePath)).schema();
    await probe.close();
    const version = await store.createTable(def.tableKey, def.tablePath, schema);
    await store.close();
    const schemaHash = schemaFingerprint(compileSchema(SCHEMA, 'schema.pg'));
    Journal.create(dir, {
      tables: [{ tableKey: def.tableKey, version }],
      actor: 'old',
      schemaHash,
    }).close();
    writeFileSync(join(dir, '_schema.pg'), SCHEMA);
    const r = await doctor(dir, { deep: true });
    expect(r.ok).toBe(true);
    expect(r.scrub!.withoutChecksum).toBe(r.scrub!.files);
    expect(r.scrub!.hashed).toBe(0);
    // Their damage is still found where existence and size can tell.
    const manifest = filesUnder(join(dir, `${def.tablePath}.lance`, '_versions')).find((f) =>
      f.endsWith('.manifest'),
    )!;
    truncateSync(manifest, 0);
    const bad = await doctor(dir, { deep: true });
    expect(bad.problems.map((p) => p.kind)).toContain('damaged-version');
  });
});
