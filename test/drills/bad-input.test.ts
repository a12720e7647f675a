import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo, type LancelogError } from '../../src/index.js';
import { Workspace } from '../../src/drill/harness.js';
import { runChild } from '../../src/drill/spawn.js';
import { matrixOp } from '../../src/drill/matrix.js';
import { renderModel, seedModel } from '../../src/drill/model.js';
import { exportLines } from '../../src/drill/check.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await Workspace.create();
});
afterAll(() => ws.dispose());

const SEED = renderModel(seedModel());

/** A repo whose writer died at write.before_publish (a sidecar and an in-flight op are left). */
async function crashed(): Promise<{ dir: string; sidecar: string }> {
  const dir = ws.copy('bad');
  const r = await runChild(
    { mode: 'run', repo: dir, branch: 'main', ops: [matrixOp('tx', 'multi-table')] },
    'write.before_publish=crash',
  );
  expect(r.signal).toBe('SIGKILL');
  const [file] = readdirSync(join(dir, '__recovery'));
  return { dir, sidecar: join(dir, '__recovery', file) };
}

function digest(dir: string, opts: { journal?: boolean } = {}): string {
  const h = createHash('sha1');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.startsWith(opts.journal === false ? '_lancelog.db' : '_lancelog.db-'))
        h.update(e.name).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

async function openError(dir: string, opts = {}): Promise<LancelogError | undefined> {
  try {
    await (await Repo.open(dir, opts)).close();
  } catch (e) {
    return e as LancelogError;
  }
  return undefined;
}

async function readable(dir: string): Promise<string[]> {
  const ro = await Repo.open(dir, { readOnly: true });
  try {
    return await exportLines(ro, 'main');
  } finally {
    await ro.close();
  }
}

describe('bad-input drills: typed error, nothing further damaged, readable where possible', () => {
  const sidecars: Array<[string, (t: string) => string, RegExp]> = [
    ['truncated', (t) => t.slice(0, Math.floor(t.length / 3)), /not valid JSON/],
    ['garbage', () => '\u0000\u0001garbage{{', /not valid JSON/],
    [
      'future schema_version',
      (t) => t.replace('"schema_version": 1', '"schema_version": 7'),
      /schema_version 7 .*upgrade lancelog first/,
    ],
  ];
  for (const [name, corrupt, reason] of sidecars) {
    it(`a ${name} sidecar: RecoveryAborted naming it, the sidecar and the tables untouched, reads still work`, async () => {
      const { dir, sidecar } = await crashed();
      writeFileSync(sidecar, corrupt(readFileSync(sidecar, 'utf8')));
      const before = digest(dir, { journal: false });
      const err = await openError(dir);
      expect(err?.code).toBe('RecoveryAborted');
      expect(err?.message).toContain(sidecar);
      expect(err?.message).toMatch(reason);
      // Nothing but the journal may change (the open records nothing on Lance or in __recovery).
      expect(existsSync(sidecar)).toBe(true);
      expect(digest(dir, { journal: false })).toBe(before);
      expect(await readable(dir)).toEqual(SEED);
    });
  }

  it('a journal stamped newer: JournalTooNew (read-write and read-only), not a byte written', async () => {
    const dir = ws.copy('too-new');
    const db = new Database(join(dir, '_lancelog.db'));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    const before = digest(dir);
    for (const opts of [{}, { readOnly: true }]) {
      const err = await openError(dir, opts);
      expect(err?.code).toBe('JournalTooNew');
      expect(err?.message).toMatch(/upgrade lancelog first/);
    }
    expect(digest(dir)).toBe(before);
  });

  it('the journal missing while sidecars exist: JournalMissing, never recreated', async () => {
    const { dir, sidecar } = await crashed();
    for (const f of ['_lancelog.db', '_lancelog.db-wal', '_lancelog.db-shm'])
      rmSync(join(dir, f), { force: true });
    const before = digest(dir);
    for (const opts of [{}, { readOnly: true }]) {
      const err = await openError(dir, opts);
      expect(err?.code).toBe('JournalMissing');
      expect(err?.message).toContain('_lancelog.db');
    }
    expect(existsSync(join(dir, '_lancelog.db'))).toBe(false);
    expect(existsSync(sidecar)).toBe(true);
    expect(digest(dir)).toBe(before);
  });

  it('a pinned Lance version file deleted: VersionNotFound naming the table; other tables stay readable; verify reports it', async () => {
    const dir = ws.copy('lost-version');
    const ro = await Repo.open(dir, { readOnly: true });
    const def = ro.typeDef('Person');
    const pin = ro.snapshot().pins.find((p) => p.tableKey === 'node:Person')!;
    await ro.close();
    // Lance's V2 manifest naming: u64::MAX - version.
    rmSync(
      join(
        dir,
        `${def.tablePath}.lance`,
        '_versions',
        `${(18446744073709551615n - BigInt(pin.version)).toString()}.manifest`,
      ),
    );
    const before = digest(dir);
    const repo = await Repo.open(dir, { readOnly: true });
    try {
      const err = await repo.scan('Person').then(
        () => undefined,
        (e: LancelogError) => e,
      );
      expect(err?.code).toBe('VersionNotFound');
      expect(err?.message).toContain('node:Person');
      expect((await repo.scan('Company')).map((r) => r.id).sort()).toEqual(['c1', 'c2']);
      const v = await repo.verify();
      expect(v.ok).toBe(false);
      expect(v.differences.join('\n')).toMatch(/node:Person on branch main: pin 2, Lance HEAD 1/);
    } finally {
      await repo.close();
    }
    expect(digest(dir)).toBe(before);
  });
});
