import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  armFailpoint,
  disarmAllFailpoints,
  FAILPOINTS,
  parseFailpointSpec,
  type FailpointName,
} from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { ROOT } from '../helpers/cli.js';

const tmp = useTmpDirs();
afterEach(() => disarmAllFailpoints());

/** Failpoints a (successful) write passes through, in order. */
const WRITE_POINTS: FailpointName[] = [
  'write.after_begin',
  'write.after_lease',
  'write.after_intent',
  'write.before_table_commit',
  'write.after_table_commit',
  'write.before_publish',
  'write.after_publish',
  'write.after_cleanup',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('failpoints', () => {
  it('every failpoint used in the code is declared and documented in docs/failpoints.md', () => {
    const used = new Set<string>();
    for (const f of sourceFiles(join(ROOT, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/failpoint\(\s*'([a-z_.]+)'/g))
        used.add(m[1]);
    }
    expect(used.size).toBeGreaterThanOrEqual(8);
    expect([...used].filter((n) => !(FAILPOINTS as readonly string[]).includes(n))).toEqual([]);
    const doc = readFileSync(join(ROOT, 'docs', 'failpoints.md'), 'utf8');
    expect(FAILPOINTS.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
    // Declared but never placed would be a drill that cannot fire.
    expect(FAILPOINTS.filter((n) => !used.has(n))).toEqual([]);
  });

  it('parses LANCELOG_FAILPOINTS specs and rejects bad ones with typed errors', () => {
    expect(parseFailpointSpec('write.after_intent=crash@2; write.before_publish=delay:50')).toEqual(
      [
        { name: 'write.after_intent', action: { kind: 'crash' }, onHit: 2 },
        { name: 'write.before_publish', action: { kind: 'delay', ms: 50 } },
      ],
    );
    expect(parseFailpointSpec('write.before_table_commit=delay:5@2+')).toEqual([
      {
        name: 'write.before_table_commit',
        action: { kind: 'delay', ms: 5 },
        onHit: 2,
        andLater: true,
      },
    ]);
    expect(() => parseFailpointSpec('nope=error')).toThrow(
      expect.objectContaining({ code: 'UnknownFailpoint' }),
    );
    expect(() => parseFailpointSpec('write.after_intent=explode')).toThrow(
      expect.objectContaining({ code: 'InvalidFailpointSpec' }),
    );
    expect(() => parseFailpointSpec('write.after_intent')).toThrow(
      expect.objectContaining({ code: 'InvalidFailpointSpec' }),
    );
  });

  for (const point of WRITE_POINTS) {
    it(`error at ${point}: the operation is all-or-nothing and I1 holds`, async () => {
      const dir = join(tmp(), 'repo');
      const repo = await makeRepo(dir);
      try {
        await repo.transaction((tx) => {
          tx.insert('Person', { name: 'a' });
          tx.insert('Note', { text: 'x' });
        });
        const before = repo.snapshot();
        // Fire on the last hit of per-table points so earlier tables have committed.
        armFailpoint(point, { kind: 'error' }, point.includes('table_commit') ? { onHit: 2 } : {});
        let failed: unknown;
        try {
          await repo.transaction(async (tx) => {
            tx.insert('Person', { name: 'b' });
            tx.insert('Note', { text: 'y' });
            await tx.delete('Person', 'a');
          });
        } catch (err) {
          failed = err;
        }
        expect(failed).toMatchObject({ code: 'FailpointTriggered' });
        disarmAllFailpoints();
        const visible = (await repo.scan('Person')).map((r) => r.id).sort();
        const published = ['write.after_publish', 'write.after_cleanup'].includes(point);
        expect(visible).toEqual(published ? ['b'] : ['a']);
        if (!published)
          expect(repo.snapshot().pins).toEqual(
            expect.arrayContaining(
              before.pins.filter((p) => p.tableKey !== 'node:Person' && p.tableKey !== 'node:Note'),
            ),
          );
        const report = await repo.verify();
        expect(report.i1.filter((x) => !x.ok)).toEqual([]);
        const sidecars = existsSync(join(dir, '__recovery'))
          ? readdirSync(join(dir, '__recovery'))
          : [];
        // The publish also completes the operation: a failure after it leaves only a
        // stale sidecar (the journal says the operation is done), which recovery removes.
        expect(sidecars.length).toBe(point === 'write.after_publish' ? 1 : 0);
        expect(repo.journal.inFlightOperations()).toEqual([]);
        // The next write succeeds on every table (liveness).
        await repo.transaction((tx) => {
          tx.insert('Person', { name: 'z' });
          tx.insert('Note', { text: 'z' });
        });
        if (point === 'write.after_publish') {
          const rec = await repo.recover();
          expect(rec.staleSidecarsRemoved).toHaveLength(1);
          expect(rec.operations).toEqual([]);
          expect(readdirSync(join(dir, '__recovery'))).toEqual([]);
        }
      } finally {
        await repo.close();
      }
    });
  }

  it('an in-process rollback records op.failed then op.rolled_back and restores the moved tables', async () => {
    const dir = join(tmp(), 'repo');
    const repo = await makeRepo(dir);
    try {
      armFailpoint('write.before_publish', { kind: 'error' });
      await expect(
        repo.transaction((tx) => {
          tx.insert('Person', { name: 'a' });
        }),
      ).rejects.toMatchObject({ code: 'FailpointTriggered' });
      const opId = repo.listEvents({ kind: 'op.rolled_back' })[0].opId;
      const kinds = repo.listEvents({ opId }).map((e) => e.kind);
      expect(kinds).toEqual([
        'op.begun',
        'lease.acquired',
        'op.intent_recorded',
        'table.commit_started',
        'table.committed',
        'op.failed',
        // The restore's own record (its files' checksums), then its publish.
        'table.committed',
        'op.published',
        'op.rolled_back',
      ]);
      // Both commits carry the digests of the files they created (docs/journal.md).
      const records = repo.listEvents({ opId, kind: 'table.committed' });
      for (const e of records)
        expect(e.kind === 'table.committed' && e.payload.files?.length).toBeGreaterThan(0);
      expect(repo.getOperation(opId).state).toBe('rolled_back');
      expect(await repo.scan('Person')).toEqual([]);
    } finally {
      await repo.close();
    }
  });
});
