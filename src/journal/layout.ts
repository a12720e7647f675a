/**
 * How each projection is laid out, once, for both SQL and memory.
 *
 * SQL: one table per projection, primary key = `keys`.
 * Memory (JournalState): nested plain objects, one level per key, each leaf a row
 * carrying its own key fields — except that projections that grow with history
 * (pins, manifests, commits, operations, recovery audit) first go through two
 * hash-bucket levels. Why: immer's cost per produce() is linear in the number of
 * keys of every object it copies, so one flat map of all commits made each event
 * O(history) and replay quadratic. With 32×32 buckets a modified map holds about
 * n/1024 keys. `hashKeys` = how many leading keys feed the bucket hash; rows that
 * are read together (the pins of one manifest) share a bucket.
 *
 * Code outside this file uses the accessors below, never the raw nesting.
 */
/** The projections, named by their field in the in-memory state (JournalState). */
export type ProjectionField =
  | 'branches'
  | 'pins'
  | 'manifests'
  | 'commits'
  | 'operations'
  | 'leases'
  | 'forks'
  | 'recoveryAudit';

/**
 * Nested objects laid out by this file (keys, and hash buckets for history-sized
 * projections). Read and write rows through the accessors below, not by hand.
 */
export type ProjectionTree = Record<string, unknown>;

/** One tree per projection: the shape of JournalState (state.ts), defined here so
 * that layout needs nothing from state.ts (state.ts builds on layout, not both ways). */
export type ProjectionTrees = Record<ProjectionField, ProjectionTree>;

export type ColType = 'text' | 'int' | 'bool' | 'json';
export interface Column {
  col: string;
  field: string;
  type: ColType;
}
export interface ProjectionSpec {
  field: ProjectionField;
  table: string;
  /** Primary-key columns, in nesting order. */
  keys: string[];
  /** 0 = no buckets; n = bucket by the first n keys. */
  hashKeys: number;
  columns: Column[];
}

const c = (col: string, field: string, type: ColType = 'text'): Column => ({ col, field, type });

export const PROJECTIONS: readonly ProjectionSpec[] = [
  {
    field: 'branches',
    table: 'branches',
    keys: ['name'],
    hashKeys: 0,
    columns: [
      c('name', 'name'),
      c('parent_branch', 'parentBranch'),
      c('parent_manifest_version', 'parentManifestVersion', 'int'),
      c('created_us', 'createdUs', 'int'),
      c('deleted', 'deleted', 'bool'),
      c('head_manifest_version', 'headManifestVersion', 'int'),
      c('head_commit_id', 'headCommitId'),
    ],
  },
  {
    field: 'pins',
    table: 'pins',
    keys: ['branch', 'manifest_version', 'table_key'],
    hashKeys: 2,
    columns: [
      c('branch', 'branch'),
      c('manifest_version', 'manifestVersion', 'int'),
      c('table_key', 'tableKey'),
      c('version', 'version', 'int'),
      c('lance_branch', 'lanceBranch'),
    ],
  },
  {
    field: 'manifests',
    table: 'manifests',
    keys: ['branch', 'manifest_version'],
    hashKeys: 2,
    columns: [
      c('branch', 'branch'),
      c('manifest_version', 'manifestVersion', 'int'),
      c('commit_id', 'commitId'),
      c('time_us', 'timeUs', 'int'),
    ],
  },
  {
    field: 'commits',
    table: 'commits',
    keys: ['id'],
    hashKeys: 1,
    columns: [
      c('id', 'id'),
      c('branch', 'branch'),
      c('manifest_version', 'manifestVersion', 'int'),
      c('parent_id', 'parentId'),
      c('merged_parent_id', 'mergedParentId'),
      c('actor', 'actor'),
      c('op_id', 'opId'),
      c('time_us', 'timeUs', 'int'),
      c('message', 'message'),
    ],
  },
  {
    field: 'operations',
    table: 'operations',
    keys: ['op_id'],
    hashKeys: 1,
    columns: [
      c('op_id', 'opId'),
      c('kind', 'kind'),
      c('branch', 'branch'),
      c('actor', 'actor'),
      c('state', 'state'),
      c('started_us', 'startedUs', 'int'),
      c('updated_us', 'updatedUs', 'int'),
      c('error_code', 'errorCode'),
      c('error_message', 'errorMessage'),
      c('error_phase', 'errorPhase'),
    ],
  },
  {
    field: 'leases',
    table: 'leases',
    keys: ['branch', 'table_key'],
    hashKeys: 0,
    columns: [
      c('branch', 'branch'),
      c('table_key', 'tableKey'),
      c('op_id', 'opId'),
      c('owner_pid', 'ownerPid', 'int'),
      c('owner_host', 'ownerHost'),
      c('lease_id', 'leaseId'),
      c('heartbeat_us', 'heartbeatUs', 'int'),
    ],
  },
  {
    field: 'forks',
    table: 'forks',
    keys: ['branch', 'table_key'],
    hashKeys: 0,
    columns: [
      c('branch', 'branch'),
      c('table_key', 'tableKey'),
      c('lance_branch', 'lanceBranch'),
      c('from_version', 'fromVersion', 'int'),
      c('op_id', 'opId'),
      c('time_us', 'timeUs', 'int'),
    ],
  },
  {
    field: 'recoveryAudit',
    table: 'recovery_audit',
    keys: ['recovery_op_id', 'original_op_id'],
    hashKeys: 1,
    columns: [
      c('recovery_op_id', 'recoveryOpId'),
      c('original_op_id', 'originalOpId'),
      c('original_actor', 'originalActor'),
      c('writer_kind', 'writerKind'),
      c('decision', 'decision'),
      c('tables', 'tables', 'json'),
      c('time_us', 'timeUs', 'int'),
    ],
  },
];

export const SPEC: Readonly<Record<ProjectionField, ProjectionSpec>> = Object.fromEntries(
  PROJECTIONS.map((p) => [p.field, p]),
) as Record<ProjectionField, ProjectionSpec>;

export type Key = string | number;
type Tree = Record<string, unknown>;

/** FNV-1a 32-bit: cheap, stable bucket hash. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const BUCKET_LEVELS = 2;

/** Number of nesting levels above a row. */
export function leafDepth(spec: ProjectionSpec): number {
  return (spec.hashKeys > 0 ? BUCKET_LEVELS : 0) + spec.keys.length;
}

/**
 * The bucket hash of the first `hashKeys` keys (joined by NUL). Why the accessors
 * below avoid map/slice/join and build no path arrays: they run a few times per
 * event on the write path, and their garbage was a visible share of a batch's CPU.
 */
function bucketHash(spec: ProjectionSpec, keys: readonly Key[]): number {
  if (keys.length < spec.hashKeys)
    throw new Error(`${spec.table}: need ${spec.hashKeys} keys to locate rows, got ${keys.length}`);
  let text = String(keys[0]);
  for (let i = 1; i < spec.hashKeys; i++) text += `\u0000${String(keys[i])}`;
  return fnv1a32(text);
}

/** The nesting path of the row(s) with these leading keys (at least `hashKeys` of them). */
function pathOf(spec: ProjectionSpec, keys: readonly Key[]): string[] {
  const k = keys.map(String);
  if (spec.hashKeys === 0) return k;
  const h = bucketHash(spec, keys);
  return [String(h & 31), String((h >>> 5) & 31), ...k];
}

/** The node holding the row(s) with these leading keys, or undefined. */
function nodeAt(tree: unknown, spec: ProjectionSpec, keys: readonly Key[]): unknown {
  let node = tree as Tree | undefined;
  if (spec.hashKeys > 0) {
    const h = bucketHash(spec, keys);
    node = node?.[h & 31] as Tree | undefined;
    node = node?.[(h >>> 5) & 31] as Tree | undefined;
  }
  for (let i = 0; i < keys.length && node !== undefined && node !== null; i++)
    node = node[String(keys[i])] as Tree | undefined;
  return node;
}

/** Key field names per projection, in key order (the columns' `field` for each key column). */
const KEY_FIELDS = Object.fromEntries(
  PROJECTIONS.map((p) => [
    p.field,
    p.keys.map((col) => p.columns.find((x) => x.col === col)!.field),
  ]),
) as Record<ProjectionField, string[]>;

/** The key values of a row, in key order. */
export function keysOf(spec: ProjectionSpec, row: Record<string, unknown>): Key[] {
  const fields = KEY_FIELDS[spec.field];
  const keys: Key[] = new Array<Key>(fields.length);
  for (let i = 0; i < fields.length; i++) keys[i] = row[fields[i]] as Key;
  return keys;
}

function collect(node: unknown, depth: number, out: unknown[]): void {
  if (node === undefined || node === null) return;
  if (depth === 0) out.push(node);
  else for (const child of Object.values(node as Tree)) collect(child, depth - 1, out);
}

/** Every row under `node`, which sits `depth` levels above the rows. */
export function leaves<T>(node: unknown, depth: number): T[] {
  const out: unknown[] = [];
  collect(node, depth, out);
  return out as T[];
}

// ---- accessors (work on plain state and on immer drafts alike)

export function getRow<T>(
  state: ProjectionTrees,
  field: ProjectionField,
  keys: readonly Key[],
): T | undefined {
  return nodeAt(state[field], SPEC[field], keys) as T | undefined;
}

/** Rows whose leading keys are `prefix` (prefix length ≥ hashKeys). */
export function rowsUnder<T>(
  state: ProjectionTrees,
  field: ProjectionField,
  prefix: readonly Key[],
): T[] {
  const spec = SPEC[field];
  return leaves<T>(nodeAt(state[field], spec, prefix), spec.keys.length - prefix.length);
}

export function allRows<T>(state: ProjectionTrees, field: ProjectionField): T[] {
  return leaves<T>(state[field], leafDepth(SPEC[field]));
}

/** Inserts or replaces a row (mutates: call on a draft or on a state being built). */
export function putRow(state: ProjectionTrees, field: ProjectionField, row: object): void {
  const spec = SPEC[field];
  const keys = keysOf(spec, row as Record<string, unknown>);
  let node = state[field] as Tree;
  if (spec.hashKeys > 0) {
    const h = bucketHash(spec, keys);
    node = (node[h & 31] ??= {}) as Tree;
    node = (node[(h >>> 5) & 31] ??= {}) as Tree;
  }
  const last = keys.length - 1;
  for (let i = 0; i < last; i++) node = (node[String(keys[i])] ??= {}) as Tree;
  node[String(keys[last])] = row;
}

/** Deletes a row and any container it leaves empty (mutates). */
export function deleteRow(
  state: ProjectionTrees,
  field: ProjectionField,
  keys: readonly Key[],
): void {
  const path = pathOf(SPEC[field], keys);
  const chain: Tree[] = [state[field] as Tree];
  for (const k of path.slice(0, -1)) {
    const next = chain.at(-1)![k] as Tree | undefined;
    if (!next) return;
    chain.push(next);
  }
  delete chain.at(-1)![path.at(-1)!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]).length > 0) break;
    delete chain[i - 1][path[i - 1]];
  }
}

/** The one order of table keys (leases, intents, publishes, plans and their events are sorted by it). */
export function byTableKey<T extends { tableKey: string }>(a: T, b: T): number {
  return a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0;
}
