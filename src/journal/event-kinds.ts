/**
 * The names of the journal's event kinds, as plain data: what the CLI needs to describe
 * `journal log --kind` without loading the event schemas (zod) at start-up. The schemas
 * in events.ts are the source of truth; test/cli/light-entry.test.ts checks that this list
 * equals their `EVENT_KINDS`, in the same order.
 */
export const EVENT_KIND_NAMES = [
  'repo.initialized',
  'op.begun',
  'lease.acquired',
  'lease.heartbeat',
  'lease.released',
  'op.intent_recorded',
  'table.commit_started',
  'table.committed',
  'op.published',
  'op.completed',
  'op.failed',
  'op.rolled_back',
  'recovery.classified',
  'recovery.decided',
  'recovery.applied',
  'branch.created',
  'branch.deleted',
  'table.forked',
  'schema.recorded',
  'versions.cleaned',
  'repair.damage_recorded',
] as const;
