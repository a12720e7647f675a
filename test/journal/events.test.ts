import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  JOURNAL_FILE,
  type EventKind,
  type EventPayloads,
} from '../../src/journal/index.js';
import { codeOf, newJournal, tempRepo } from './helpers.js';

const OP = '01JOURNALTESTOPERATION0000';

/** One valid payload per kind, in an order the reducer accepts after Journal.create. */
const SAMPLES: {
  [K in Exclude<EventKind, 'repo.initialized'>]: [EventPayloads[K], string | null];
} = {
  'op.begun': [{ kind: 'Mutation', branch: 'main', actor: 'alice' }, null],
  'lease.acquired': [
    {
      tables: [{ table_key: 'node:Person', branch: 'main' }],
      owner: { pid: 42, host: 'h', leaseId: 'L1' },
      heartbeat_us: 10,
    },
    null,
  ],
  'lease.heartbeat': [{ heartbeat_us: 20 }, null],
  'op.intent_recorded': [
    {
      tables: [
        {
          table_key: 'node:Person',
          lance_branch: null,
          expected_version: 1,
          post_commit_version: 2,
        },
      ],
    },
    null,
  ],
  'table.commit_started': [{ table_key: 'node:Person' }, 'node:Person'],
  'table.committed': [{ table_key: 'node:Person', version: 2 }, 'node:Person'],
  'op.published': [
    {
      manifest_version: 2,
      commit_id: 'C2',
      pins: [{ table_key: 'node:Person', version: 2, lance_branch: null }],
      actor: 'alice',
      message: 'm',
      merged_parent_id: null,
    },
    null,
  ],
  'lease.released': [{ tables: [{ table_key: 'node:Person', branch: 'main' }] }, null],
  'op.failed': [{ error: { code: 'Boom', message: 'it broke' }, phase: 'table_commit' }, null],
  'op.rolled_back': [{ tables: [{ table_key: 'node:Person', from: 3, to: 2 }] }, null],
  'recovery.classified': [
    {
      original_op_id: 'X',
      tables: [
        {
          table_key: 'node:Person',
          head: 2,
          pin: 2,
          expected: 2,
          committed: null,
          class: 'NoMovement',
        },
      ],
    },
    null,
  ],
  'recovery.decided': [{ original_op_id: 'X', decision: 'RollBack' }, null],
  'recovery.applied': [{ original_op_id: 'X', decision: 'RollBack', tables: [] }, null],
  'op.completed': [{}, null],
  'branch.created': [{ name: 'feature', from_branch: 'main', from_manifest_version: 2 }, null],
  'table.forked': [
    { table_key: 'node:Person', lance_branch: 'feature', from_version: 2 },
    'node:Person',
  ],
  'schema.recorded': [{ hash: 'ab'.repeat(32), reason: 'changed' }, null],
  'versions.cleaned': [
    {
      tables: [
        { table_key: 'node:Person', lance_branch: null, versions: [1, 2], bytes_removed: 10 },
      ],
    },
    null,
  ],
  'branch.deleted': [{ name: 'feature' }, null],
  'repair.damage_recorded': [
    {
      versions: [
        {
          table_key: 'node:Person',
          lance_branch: null,
          version: 3,
          files: [{ path: 'data/x.lance', problem: 'checksum' }],
          unreadable: true,
          commits: ['01J00000000000000000000000'],
        },
      ],
      unreadable_commits: ['01J00000000000000000000000'],
      dropped_commits: [],
    },
    null,
  ],
};

describe('journal events', () => {
  it('every kind round-trips through append and read, payload intact', () => {
    expect(['repo.initialized', ...Object.keys(SAMPLES)].sort()).toEqual([...EVENT_KINDS].sort());
    const j = newJournal();
    for (const [kind, [payload, tableKey]] of Object.entries(SAMPLES)) {
      const branch =
        kind.startsWith('branch.') || kind === 'table.forked'
          ? kind === 'branch.created' || kind === 'branch.deleted'
            ? (payload as { name: string }).name
            : 'feature'
          : 'main';
      j.appendEvent(OP, branch, { kind, payload }, tableKey);
    }
    const events = j.listEvents();
    expect(events.map((e) => e.kind)).toEqual(['repo.initialized', ...Object.keys(SAMPLES)]);
    for (const e of events.slice(1)) {
      const [payload, tableKey] = SAMPLES[e.kind as keyof typeof SAMPLES];
      expect(e.payload).toEqual(payload);
      expect(e.tableKey).toBe(tableKey);
      expect(e.opId).toBe(OP);
    }
    const init = events[0];
    expect(init.kind === 'repo.initialized' && init.payload.tables.map((t) => t.table_key)).toEqual(
      ['edge:WorksAt', 'node:Company', 'node:Person'],
    );
    // seq strictly increasing, time never backwards
    for (let i = 1; i < events.length; i++) {
      expect(events[i].seq).toBeGreaterThan(events[i - 1].seq);
      expect(events[i].timeUs).toBeGreaterThanOrEqual(events[i - 1].timeUs);
    }
    expect(j.verify()).toMatchObject({ ok: true, differences: [] });
  });

  it('bad payloads are rejected with EventPayloadInvalid and nothing is appended', () => {
    const j = newJournal();
    const bad: Array<{ kind: string; payload: unknown }> = [
      { kind: 'op.begun', payload: { kind: 'Mutation', branch: 'main' } }, // missing actor
      { kind: 'op.begun', payload: { kind: 'Nope', branch: 'main', actor: 'a' } }, // bad enum
      { kind: 'op.begun', payload: { kind: 'Mutation', branch: 'main', actor: 'a', extra: 1 } }, // unknown field
      { kind: 'table.committed', payload: { table_key: 'node:A', version: -1 } }, // negative version
      { kind: 'table.committed', payload: { table_key: 'node:A', version: 1.5 } }, // not an integer
      { kind: 'op.completed', payload: null },
      { kind: 'no.such.kind', payload: {} },
    ];
    for (const b of bad)
      expect(codeOf(() => j.appendEvent(OP, 'main', b))).toBe('EventPayloadInvalid');
    expect(j.listEvents()).toHaveLength(1);
  });

  it('payloads are validated on read too: a corrupt stored payload is EventPayloadInvalid and verify reports it', () => {
    const repo = tempRepo();
    const j = newJournal(repo);
    const db = new Database(join(repo, JOURNAL_FILE));
    db.prepare(
      "INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES ('X', 1, 'op.begun', 'main', NULL, '{\"kind\":\"Mutation\"}')",
    ).run();
    db.close();
    expect(codeOf(() => j.listEvents())).toBe('EventPayloadInvalid');
    const report = j.verify();
    expect(report.ok).toBe(false);
    expect(report.differences.join('\n')).toMatch(/event #2: invalid payload for event op.begun/);
  });

  it('the events table refuses UPDATE and DELETE (append-only)', () => {
    const repo = tempRepo();
    newJournal(repo).close();
    const db = new Database(join(repo, JOURNAL_FILE));
    try {
      expect(() => db.prepare("UPDATE events SET kind = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});
