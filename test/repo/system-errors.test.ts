/**
 * System failures end in typed errors (issue 16 part 5), on real file systems:
 * a damaged journal (`JournalCorrupt`), a read-only file system (`ReadOnlyRepo`, a
 * tmpfs remounted read-only), a full disk (`DiskFull`, a 3 MiB tmpfs), files root
 * may not write (`PermissionDenied`, `chattr +i`: tests run as root, which ignores
 * mode bits), an impossible init path, and the CLI's exit status and no stack trace.
 * Mounting needs root (and chattr an ext4-like /tmp): those cases are skipped with a
 * message otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { rejection } from '../helpers/errors.js';
import { CLI_ENTRY, ROOT } from '../helpers/cli.js';
import { nodeArgsFor } from '../helpers/bundle.js';
import { useTmpDirs } from '../helpers/tmp.js';

const run = promisify(execFile);
const tmp = useTmpDirs();
const SCHEMA = 'node P {\n  name: String @key\n  t: String?\n}\n';
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
if (!mountable) console.warn('system-errors: not root or mount not permitted; tmpfs cases skipped');

const mounts: string[] = [];
const immutable: string[] = [];
afterEach(async () => {
  for (const p of immutable.splice(0)) await run('chattr', ['-i', p]).catch(() => undefined);
  for (const m of mounts.splice(0)) await run('umount', [m]).catch(() => undefined);
});

async function tmpfs(sizeMiB: number): Promise<string> {
  const dir = join(tmp(), 'mnt');
  mkdirSync(dir);
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

async function newRepo(dir: string): Promise<string> {
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 's.pg' });
  return dir;
}

const cli = async (args: string[]) => {
  try {
    const r = await run(process.execPath, [...(await nodeArgsFor(CLI_ENTRY)), ...args], {
      cwd: ROOT,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('typed system errors', () => {
  it('a journal that is not SQLite, or fails quick_check, is JournalCorrupt; the CLI prints no stack', async () => {
    const dir = await newRepo(join(tmp(), 'repo'));
    const db = join(dir, '_lancelog.db');
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.from('garbage garbage!'), 0, 16, 0);
    closeSync(fd);
    for (const readOnly of [false, true]) {
      const err = await rejection(Repo.open(dir, { readOnly }));
      expect(err).toMatchObject({ code: 'JournalCorrupt', details: { path: db, check: 'header' } });
      expect(err.message).toContain('lancelog doctor');
    }
    const r = await cli(['snapshot', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[JournalCorrupt\]/);
    expect(r.stderr).not.toContain('    at ');
    const dbg = await cli(['snapshot', '--debug', dir]);
    expect(dbg.stderr).toContain('    at '); // --debug shows the stack
  }, 60_000);

  it('a damaged page fails quick_check: a read-write open refuses before writing', async () => {
    const dir = await newRepo(join(tmp(), 'repo'));
    const repo = await Repo.open(dir);
    for (let i = 0; i < 20; i++)
      await repo.transaction((tx) => tx.upsert('P', { name: `p${i}`, t: 'x'.repeat(200) }));
    await repo.close();
    const db = join(dir, '_lancelog.db');
    const pageSize = 4096;
    const pages = statSync(db).size / pageSize;
    expect(pages).toBeGreaterThan(4);
    const fd = openSync(db, 'r+');
    // Scribble over the middle of the file, leaving the header page intact.
    writeSync(
      fd,
      Buffer.alloc(pageSize * 2, 0xa5),
      0,
      pageSize * 2,
      pageSize * Math.floor(pages / 2),
    );
    closeSync(fd);
    const err = await rejection(Repo.open(dir));
    expect(err.code).toBe('JournalCorrupt');
    expect(err.details.check === 'quick_check' || err.details.check === 'sqlite').toBe(true);
  }, 60_000);

  it.skipIf(!mountable)(
    'a read-only file system is ReadOnlyRepo, read-write or not',
    async () => {
      const mnt = await tmpfs(8);
      const dir = await newRepo(join(mnt, 'repo'));
      await run('mount', ['-o', 'remount,ro', mnt]);
      for (const readOnly of [false, true]) {
        const err = await rejection(Repo.open(dir, { readOnly }));
        expect(err.code).toBe('ReadOnlyRepo');
        expect(err.details.cause).toMatch(/EROFS|read-only/i);
      }
    },
    60_000,
  );

  it.skipIf(!mountable)(
    'a full disk is DiskFull with the cause, publishes nothing, and the repo is whole after',
    async () => {
      const mnt = await tmpfs(3);
      const dir = await newRepo(join(mnt, 'repo'));
      const repo = await Repo.open(dir);
      try {
        const before = repo.snapshot().manifestVersion;
        try {
          writeFileSync(join(mnt, 'filler'), Buffer.alloc(8 * 1024 * 1024));
        } catch {
          // ENOSPC: the file system is full now
        }
        const err = await rejection(
          repo.transaction((tx) => {
            for (let i = 0; i < 2000; i++) tx.upsert('P', { name: `p${i}`, t: 'x'.repeat(500) });
          }),
        );
        expect(err.code).toBe('DiskFull');
        expect(String(err.details.cause)).toMatch(/full|space/i);
        expect(err.message).toContain('nothing was published');
        await run('rm', [join(mnt, 'filler')]);
        expect(repo.snapshot().manifestVersion).toBe(before);
      } finally {
        await repo.close();
      }
      const again = await Repo.open(dir);
      try {
        expect((await again.verify()).ok).toBe(true);
        await again.transaction((tx) => tx.upsert('P', { name: 'after' }));
        expect((await again.scan('P')).map((r) => r.name)).toEqual(['after']);
      } finally {
        await again.close();
      }
    },
    120_000,
  );

  it.skipIf(!isRoot)(
    'files root may not write (chattr +i) are PermissionDenied, naming the table',
    async () => {
      const dir = await newRepo(join(tmp(), 'repo'));
      const repo = await Repo.open(dir);
      try {
        const def = repo.typeDef('P');
        const data = join(dir, def.tablePath + '.lance', 'data');
        mkdirSync(data, { recursive: true });
        try {
          await run('chattr', ['+i', data]);
        } catch {
          console.warn('system-errors: chattr not supported here; PermissionDenied case skipped');
          return;
        }
        immutable.push(data);
        const err = await rejection(repo.transaction((tx) => tx.upsert('P', { name: 'a' })));
        expect(err.code).toBe('PermissionDenied');
        expect(err.details).toMatchObject({ table_key: 'node:P' });
        expect(String(err.details.cause)).toMatch(/permitted|permission|os error 1\b/i);
      } finally {
        await repo.close();
      }
    },
    60_000,
  );

  it('init into an impossible path fails at once with a typed error', async () => {
    const file = join(tmp(), 'file');
    writeFileSync(file, '');
    const notDir = await rejection(
      Repo.init(join(file, 'repo'), { schemaSource: SCHEMA, schemaFile: 's.pg' }),
    );
    expect(notDir).toMatchObject({ code: 'InvalidRepoPath', details: { reason: 'ENOTDIR' } });
    // mkdirSync(…, {recursive: true}) never returns under /proc.
    const proc = await rejection(
      Repo.init('/proc/lancelog-no-such', { schemaSource: SCHEMA, schemaFile: 's.pg' }),
    );
    expect(['InvalidRepoPath', 'PermissionDenied']).toContain(proc.code);
    const r = await cli([
      'init',
      '--schema',
      join(ROOT, 'test/fixtures/omnigraph/test.pg'),
      join(file, 'x'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[InvalidRepoPath\]/);
    expect(r.stderr).not.toContain('    at ');
  }, 60_000);

  it('usage errors exit 2, with or without --json', async () => {
    const plain = await cli(['snapshot', '--version', 'x', '/nowhere']);
    const json = await cli(['frobnicate', '--json']);
    expect([plain.code, json.code]).toEqual([2, 2]);
  }, 60_000);
});
