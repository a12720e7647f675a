/**
 * A long history generated directly through the journal (no Lance commits): each
 * generated commit is the 7 events of a real one-table write (begun, lease, intent,
 * commit started, committed, published, completed), appended in batches through
 * `Journal.appendEvents` (zod-checked, evolved, projected like any event). The table's
 * pin does not move (each commit republishes the version it found), so Lance HEAD ==
 * pin still holds for a repo whose tables exist: the journal grows (events, manifests,
 * pins, commits, operations) while the Lance tables stay as they are.
 *
 * Used by the history bench's `--commits` run and by the long-history tests.
 */
import { hostname } from 'node:os';
import type { Journal } from '../../src/journal/index.js';
import type { EventDraft } from '../../src/journal/index.js';
import { DEFAULT_BRANCH } from '../../src/defaults.js';
import { newId, nowUs } from '../../src/journal/clock.js';

export interface GenerateOptions {
  tableKey: string;
  branch?: string;
  /** Operations per appendEvents transaction. */
  batchOps?: number;
  actor?: string;
}

/** The 7 events of one completed single-table write that leaves the pin at `version`. */
function commitEvents(
  branch: string,
  tableKey: string,
  version: number,
  manifestVersion: number,
  actor: string,
): EventDraft[] {
  const opId = newId();
  const owner = { pid: process.pid, host: hostname() };
  const ev = (body: EventDraft['body'], key: string | null = null): EventDraft => ({
    opId,
    branch,
    tableKey: key,
    body,
  });
  return [
    ev({ kind: 'op.begun', payload: { kind: 'Mutation', branch, actor, owner } }),
    ev({
      kind: 'lease.acquired',
      payload: {
        tables: [{ table_key: tableKey, branch }],
        owner: { ...owner, leaseId: opId },
        heartbeat_us: nowUs(),
      },
    }),
    ev({
      kind: 'op.intent_recorded',
      payload: {
        tables: [
          {
            table_key: tableKey,
            lance_branch: null,
            expected_version: version,
            post_commit_version: version,
          },
        ],
      },
    }),
    ev({ kind: 'table.commit_started', payload: { table_key: tableKey } }, tableKey),
    ev({ kind: 'table.committed', payload: { table_key: tableKey, version } }, tableKey),
    ev({
      kind: 'op.published',
      payload: {
        manifest_version: manifestVersion,
        commit_id: newId(),
        pins: [{ table_key: tableKey, version, lance_branch: null }],
        actor,
        message: 'generated',
        merged_parent_id: null,
      },
    }),
    ev({ kind: 'op.completed', payload: {} }),
  ];
}

/** Appends `commits` generated commits on `branch` (default main). Returns the events appended. */
export function generateHistory(journal: Journal, commits: number, opts: GenerateOptions): number {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  const batchOps = opts.batchOps ?? 500;
  const actor = opts.actor ?? 'generator';
  let mv = journal.getBranch(branch).headManifestVersion;
  const version = journal.latestPins(branch).find((p) => p.tableKey === opts.tableKey)?.version;
  if (version === undefined) throw new Error(`${opts.tableKey} has no pin on ${branch}`);
  let events = 0;
  for (let done = 0; done < commits;) {
    const n = Math.min(batchOps, commits - done);
    const drafts: EventDraft[] = [];
    for (let i = 0; i < n; i++)
      drafts.push(...commitEvents(branch, opts.tableKey, version, ++mv, actor));
    events += journal.appendEvents(drafts).length;
    done += n;
  }
  return events;
}
