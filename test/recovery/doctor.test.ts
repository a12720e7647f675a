/**
 * `doctor` (issue 16 part 4) on real repos brought into each bad state: Lance ahead
 * of the pin with no operation in flight (the RecoveryRequired / "nothing to recover"
 * dead end), a lost published Lance version, a damaged journal, schema drift.
 */
import { execFile } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { doctor, Repo } from '../../src/index.js';
import { CLI_ENTRY, ROOT } from '../helpers/cli.js';
import { nodeArgsFor } from '../helpers/bundle.js';
import { rejection } from '../helpers/errors.js';
import { useTmpDirs } from '../helpers/tmp.js';

const run = promisify(execFile);
const tmp = useTmpDirs();
const SCHEMA = 'node P {\n  name: String @key\n}\n';

async function seeded(): Promise<string> {
  const dir = join(tmp(), 'repo');
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 's.pg' });
  const repo = await Repo.open(dir);
  await repo.transaction((tx) => tx.upsert('P', { name: 'published' }));
  await repo.close();
  return dir;
}

/** A Lance commit that was never published (what a lost WAL or a stray writer leaves). */
async function unpublishedAppend(dir: string): Promise<void> {
  const repo = await Repo.open(dir);
  try {
    const def = repo.typeDef('P');
    const t = await repo.store.openTable(def.tableKey, def.tablePath);
    try {
      await t.append([{ id: 'ghost', name: 'ghost' }]);
    } finally {
      t.close();
    }
  } finally {
    await repo.close();
  }
}

/** The files of P's Lance table's newest manifest (Lance names them u64::MAX - version). */
function newestManifest(dir: string, tablePath: string): string {
  const versions = join(dir, `${tablePath}.lance`, '_versions');
  return readdirSync(versions)
    .filter((f) => f.endsWith('.manifest'))
    .sort((a, b) => (BigInt(a.split('.')[0]) < BigInt(b.split('.')[0]) ? -1 : 1))
    .map((f) => join(versions, f))[0];
}

const isRoot = process.getuid?.() === 0;
async function canMount(): Promise<boolean> {
  if (!isRoot) return false;
  const dir = join(tmp(), 'probe');
  mkdirSync(dir);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    await run('umount', [dir]);
    return true;
  } catch {
    return false;
  }
}
const mountable = await canMount();
if (!mountable)
  console.warn('doctor: not root or mount not permitted; the read-only case is skipped');

const names = async (dir: string) => {
  const repo = await Repo.open(dir, { readOnly: true });
  try {
    return (await repo.scan('P')).map((r) => r.name).sort();
  } finally {
    await repo.close();
  }
};

describe('lancelog doctor', () => {
  it('a healthy repo: every check runs, no problem', async () => {
    const r = await doctor(await seeded());
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.checks).toEqual(
      expect.arrayContaining([
        'journal integrity_check',
        'journal replay',
        'schema fingerprint',
        'HEAD == pin on every table and branch',
      ]),
    );
  });

  it('Lance ahead of the pin, nothing in flight: RecoveryRequired names the finding, recover has nothing to do, --repair restores the pin', async () => {
    const dir = await seeded();
    await unpublishedAppend(dir);
    const repo = await Repo.open(dir);
    try {
      const err = await rejection(repo.transaction((tx) => tx.upsert('P', { name: 'x' })));
      expect(err.code).toBe('RecoveryRequired');
      expect(err.details).toMatchObject({ doctor: 'lance-ahead-of-pin', table_key: 'node:P' });
      expect(err.message).toContain('lancelog doctor --repair');
      expect((await repo.recover()).operations).toEqual([]);
    } finally {
      await repo.close();
    }
    const found = await doctor(dir);
    expect(found.ok).toBe(false);
    expect(found.problems).toMatchObject([
      { kind: 'lance-ahead-of-pin', repairable: true, tableKey: 'node:P', branch: 'main' },
    ]);
    const fixed = await doctor(dir, { repair: true });
    expect(fixed.repaired).toBe(true);
    expect(fixed.problems[0].repaired).toMatch(/restored to version \d+/);
    expect((await doctor(dir)).ok).toBe(true);
    expect(await names(dir)).toEqual(['published']); // the unpublished row is not visible
    const after = await Repo.open(dir);
    try {
      await after.transaction((tx) => tx.upsert('P', { name: 'next' }));
      expect((await after.verify()).ok).toBe(true);
      const repairCommit = after
        .listCommits({ branch: 'main' })
        .find((c) => c.actor === 'lancelog:doctor');
      expect(repairCommit?.message).toContain('nothing published is lost');
    } finally {
      await after.close();
    }
    expect(await names(dir)).toEqual(['next', 'published']);
  });

  it('a lost published version: found (CLI exits 1), --repair re-pins to the newest complete manifest listing the lost commits', async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir, { readOnly: true });
    const def = repo.typeDef('P');
    const lostCommit = repo.snapshot().commitId;
    await repo.close();
    const versions = join(dir, `${def.tablePath}.lance`, '_versions');
    // Lance names manifests by u64::MAX - version: the smallest number is the newest.
    const newest = readdirSync(versions)
      .filter((f) => f.endsWith('.manifest'))
      .sort((a, b) => (BigInt(a.split('.')[0]) < BigInt(b.split('.')[0]) ? -1 : 1))
      .map((f) => join(versions, f))[0];
    rmSync(newest);
    const cli = await run(
      process.execPath,
      [...(await nodeArgsFor(CLI_ENTRY)), 'doctor', '--json', dir],
      { cwd: ROOT },
    ).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(cli.code).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      ok: false,
      problems: [{ kind: 'lost-published-version', repairable: true, tableKey: 'node:P' }],
    });
    const r = await doctor(dir, { repair: true });
    expect(r.repaired).toBe(true);
    expect(r.problems[0].repaired).toContain(`lost commits: ${lostCommit}`);
    expect((await doctor(dir)).ok).toBe(true);
    expect(await names(dir)).toEqual([]);
    const after = await Repo.open(dir);
    try {
      const repairCommit = after
        .listCommits({ branch: 'main' })
        .find((c) => c.actor === 'lancelog:doctor');
      expect(repairCommit?.message).toContain(lostCommit);
      await after.transaction((tx) => tx.upsert('P', { name: 'again' }));
      expect((await after.verify()).ok).toBe(true);
    } finally {
      await after.close();
    }
  }, 60_000);

  it('a damaged newest manifest: unreadable, not "repairable" (--repair cannot re-pin what Lance cannot open); the advice is a backup of the table', async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir, { readOnly: true });
    const def = repo.typeDef('P');
    await repo.close();
    const manifest = newestManifest(dir, def.tablePath);
    writeFileSync(manifest, Buffer.alloc(4096, 0x5a));
    const found = await doctor(dir);
    expect(found.ok).toBe(false);
    expect(found.problems).toMatchObject([
      { kind: 'table-unreadable', repairable: false, tableKey: 'node:P', branch: 'main' },
    ]);
    expect(found.problems[0].message).toContain('node:P');
    expect(found.problems[0].instructions).toMatch(/backup/);
    expect(found.problems[0].instructions).toContain(def.tablePath);
    // What --repair does matches what doctor said: nothing, and it says so.
    const repaired = await doctor(dir, { repair: true });
    expect(repaired).toMatchObject({ ok: false, repaired: false });
    expect(repaired.problems[0].repaired).toBeUndefined();
    // journal verify reports the table as unreadable with the cause, not as missing.
    const ro = await Repo.open(dir, { readOnly: true });
    try {
      const v = await ro.verify();
      const check = v.i1.find((c) => c.tableKey === 'node:P')!;
      expect(check).toMatchObject({ ok: false, head: null, error: { code: expect.any(String) } });
      expect(v.differences.join('\n')).toMatch(/unreadable/);
    } finally {
      await ro.close();
    }
  }, 60_000);

  it.skipIf(!mountable)(
    'a repo on a read-only file system: doctor says so and how to check it, not "restore the journal from a backup"',
    async () => {
      const mnt = join(tmp(), 'mnt');
      mkdirSync(mnt);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
      try {
        const dir = join(mnt, 'repo');
        await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 's.pg' });
        await run('mount', ['-o', 'remount,ro', mnt]);
        for (const repair of [false, true]) {
          const r = await doctor(dir, { repair });
          expect(r).toMatchObject({ ok: false, repaired: false });
          expect(r.problems).toMatchObject([{ kind: 'repo-not-writable', repairable: false }]);
          expect(r.problems[0].instructions).not.toMatch(/backup/);
          expect(r.problems[0].instructions).toMatch(/read-only/);
        }
      } finally {
        await run('umount', [mnt]);
      }
    },
    60_000,
  );

  it('a damaged journal and a drifted schema are found and refused with instructions', async () => {
    const dir = await seeded();
    writeFileSync(join(dir, '_schema.pg'), SCHEMA.replace('String', 'I64'));
    const drift = await doctor(dir, { repair: true });
    expect(drift).toMatchObject({
      ok: false,
      repaired: false,
      problems: [{ kind: 'schema-drift', repairable: false }],
    });
    const fd = openSync(join(dir, '_lancelog.db'), 'r+');
    writeSync(fd, Buffer.from('not a database!!'), 0, 16, 0);
    closeSync(fd);
    const broken = await doctor(dir);
    expect(broken.problems).toMatchObject([{ kind: 'journal-not-sqlite', repairable: false }]);
    expect(broken.problems[0].instructions).toMatch(/backup/);
    expect((await rejection(Repo.open(dir))).code).toBe('JournalCorrupt');
  });
});
