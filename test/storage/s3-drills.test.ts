/**
 * Crash drills on the S3 backend (tables on a real S3 server on 127.0.0.1, the SQLite
 * journal local): the `load`, `change` (.gq mutation) and `branch merge` writers run as
 * real CLI processes that SIGKILL themselves at a failpoint; recovery from a fresh
 * process must leave the state before or after the write entirely, I1 (verify), nothing
 * pending, and a next write that succeeds. A subset of the local matrix (docs/drills.md),
 * sized for the suite's time: one point that rolls back and one that rolls forward per
 * writer. The transaction writer's points are in s3-repo.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, Repo } from '../../src/index.js';
import { CUTOFF_MARGIN_MS } from '../../src/write/maintenance/cleanup-policy.js';
import { runCli } from '../helpers/cli.js';
import { useS3Server } from '../helpers/s3.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const SCHEMA = `
node Person { name: String @key }
node Note { text: String @key }
`;

const ADD_GQ = `
query add($n: String) {
  insert Person { name: $n }
  insert Note { text: $n }
}
`;

const s3 = useS3Server();

/** A repo on a fresh prefix: Person a, Note a on main; branch `feat` adds Person b, Note b. */
async function seeded(): Promise<string> {
  const dir = join(tmp(), 'journal');
  const uri = s3().newUri('drills');
  await Repo.init(uri, { schemaSource: SCHEMA, schemaFile: 's.pg', journal: dir });
  const repo = await Repo.open(dir);
  try {
    await repo.transaction((tx) => {
      tx.insert('Person', { name: 'a' });
      tx.insert('Note', { text: 'a' });
    });
    repo.createBranch('feat');
    await repo.transaction(
      (tx) => {
        tx.insert('Person', { name: 'b' });
        tx.insert('Note', { text: 'b' });
      },
      { branch: 'feat' },
    );
  } finally {
    await repo.close();
  }
  return dir;
}

type Writer = 'load' | 'change' | 'merge';

/** The writer's CLI arguments: each adds Person b and Note b to main. */
function writerArgs(writer: Writer, dir: string): string[] {
  if (writer === 'load') {
    const data = join(tmp(), 'b.jsonl');
    writeFileSync(
      data,
      '{"type":"Person","data":{"name":"b"}}\n{"type":"Note","data":{"text":"b"}}\n',
    );
    return ['load', '--data', data, dir];
  }
  if (writer === 'change') {
    const gq = join(tmp(), 'add.gq');
    writeFileSync(gq, ADD_GQ);
    return ['change', '--query', gq, '--name', 'add', '--params', '{"n":"b"}', dir];
  }
  return ['branch', 'merge', 'feat', dir];
}

async function visible(repo: Repo): Promise<string[]> {
  const ids = [
    ...(await repo.scan('Person')).map((r) => `P:${r.id}`),
    ...(await repo.scan('Note')).map((r) => `N:${r.id}`),
  ];
  return ids.sort();
}

const BEFORE = ['N:a', 'P:a'];
const AFTER = ['N:a', 'N:b', 'P:a', 'P:b'];
const POINTS: Array<[string, string, string[]]> = [
  ['write.after_intent', 'RollBack', BEFORE],
  ['write.before_publish', 'RollForward', AFTER],
];

describe('crash drills on S3 storage: load, change and merge writers', () => {
  for (const writer of ['load', 'change', 'merge'] as const) {
    for (const [point, decision, after] of POINTS) {
      it(`${writer} SIGKILLed at ${point} → ${decision}: all or nothing, I1, nothing pending, next write ok`, async () => {
        const dir = await seeded();
        const crashed = await runCli(writerArgs(writer, dir), {
          LANCELOG_FAILPOINTS: `${point}=crash`,
        });
        expect(crashed.code, crashed.stderr).toBe(-1);
        const repo = await Repo.open(dir);
        try {
          expect(repo.recoveryAudit().map((a) => a.decision)).toEqual([decision]);
          expect(await visible(repo)).toEqual(after);
          expect(repo.pendingRecovery()).toEqual([]);
          expect((await repo.verify()).differences).toEqual([]);
          await repo.transaction((tx) => {
            tx.upsert('Person', { name: 'z' });
            tx.upsert('Note', { text: 'z' });
          });
          expect(await visible(repo)).toEqual([...after, 'N:z', 'P:z'].sort());
        } finally {
          await repo.close();
        }
      });
    }
  }
});

describe('the writers that are not row upserts, on S3 storage', () => {
  it('index ensure, optimize, cleanup and doctor: data unchanged, I1, the next write ok', async () => {
    const dir = await seeded();
    const repo = await Repo.open(dir);
    try {
      for (const n of ['c', 'd', 'e']) {
        // Cleanup keeps the versions committed within its clock margin of the cut-off:
        // the ones to remove must be older than that, the kept head newer.
        if (n === 'e') await setTimeout(CUTOFF_MARGIN_MS + 200);
        await repo.transaction((tx) => {
          tx.insert('Person', { name: n });
          tx.insert('Note', { text: n });
        });
      }
      const want = ['N:a', 'N:c', 'N:d', 'N:e', 'P:a', 'P:c', 'P:d', 'P:e'];
      await repo.ensureIndexes();
      await repo.optimize();
      expect(await visible(repo)).toEqual(want);

      const cleaned = await repo.cleanup({ keep: 1, olderThanMs: null, confirm: true });
      expect(cleaned.confirmed).toBe(true);
      expect(cleaned.tables.flatMap((t) => t.versionsRemoved).length).toBeGreaterThan(0);
      expect(await visible(repo)).toEqual(want);
      expect((await repo.verify()).differences).toEqual([]);
      await repo.transaction((tx) => tx.insert('Person', { name: 'z' }));
      expect((await repo.scan('Person')).map((r) => r.id)).toContain('z');
    } finally {
      await repo.close();
    }
    const report = await doctor(dir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
