/**
 * `lancelog schema apply` (docs/schema-language.md §Evolution): a repo's schema
 * changed in place, as ONE operation of the write protocol (kind `SchemaApply`).
 *
 * 1. The new schema is compiled and planned against the current catalog
 *    (schema/plan.ts); an unsupported step refuses the change (SchemaApplyUnsupported).
 * 2. The schema is repo-wide: with any branch but `main` alive the change is refused
 *    (SchemaApplyBlocked), as the reference engine does — a branch's tables would keep
 *    the old columns under the new catalog.
 * 3. Existing data is checked against the new rules (schema-validate.ts) before
 *    anything is journaled: a violation refuses the change (SchemaApplyRefused),
 *    nothing changed.
 * 4. The operation: tables for new types are created (empty, unpinned) while planning;
 *    then every table of the current catalog is leased — that is the repo-wide schema
 *    lease: no other write can publish until the change has — and each changed table
 *    gets its column changes (storage/column-change.ts, a multi-commit action: one
 *    Lance commit per kind of change); one publish moves their pins, pins the new
 *    tables, unpins the dropped types' tables and records the new schema with its
 *    text (`schema.recorded`, reason `changed`). A crash before that publish rolls
 *    every table back (a multi-commit table is never rolled forward), so the old
 *    schema and data stay; after it the new schema is the repo's.
 * 5. `_schema.pg` is replaced atomically (temp file, fsync, rename, fsync directory).
 *    A crash between the publish and the rename leaves the journal ahead of the file;
 *    the next open rewrites the file from the journal's recorded text (schema-file.ts).
 */
import { join } from 'node:path';
import type * as Arrow from 'apache-arrow';
import {
  arrowSchemaFor,
  arrowTypeFor,
  compileSchema,
  schemaFingerprint,
} from '../../schema/index.js';
import { defaultOf, planSchemaChange, type SchemaPlan } from '../../schema/plan.js';
import type { Catalog, PropertyDef, TypeDef } from '../../schema/types.js';
import { MAIN_BRANCH, type FileDigest, type Snapshot } from '../../journal/index.js';
import { changeColumns, noColumnChanges, type ColumnChanges } from '../../storage/column-change.js';
import { sqlString } from '../../storage/index.js';
import { RepoError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { runWrite, type OperationContext, type TableAction } from '../protocol/index.js';
import { findViolations, refusal } from './schema-validate.js';

export const SCHEMA_FILE = '_schema.pg';

export interface SchemaApplyOptions {
  actor?: string;
  message?: string;
}

export interface SchemaApplyResult {
  /** False when the new schema describes the same tables and rules (nothing written). */
  applied: boolean;
  plan: SchemaPlan;
  previousHash: string;
  hash: string;
  opId: string | null;
  commitId: string | null;
  manifestVersion: number | null;
  /** Tables whose columns changed, with their pins before and after. */
  tables: Array<{ tableKey: string; from: number; to: number }>;
  /** Tables created for new types. */
  created: string[];
  /** Tables of dropped types, no longer pinned. */
  unpinned: string[];
  /** The compiled new catalog (the repo's from now on). */
  catalog: Catalog;
}

function defsOf(c: Catalog): TypeDef[] {
  return [...c.nodes, ...c.edges];
}

/** The SQL literal of a `@default` value for `update … SET col = literal`. */
function defaultSql(p: PropertyDef): string | null {
  const d = defaultOf(p);
  if (d === undefined) return null;
  return typeof d === 'string' ? sqlString(d) : String(d);
}

/** The column changes that take `old`'s table to `def`'s. */
export function columnChangesFor(old: TypeDef, def: TypeDef): ColumnChanges {
  const oldProps = new Map(old.properties.map((p) => [p.name, p]));
  const newNames = new Set(def.properties.map((p) => p.name));
  const added = def.properties.filter((p) => !oldProps.has(p.name));
  const widened = def.properties.filter((p) => {
    const before = oldProps.get(p.name);
    return before && String(arrowTypeFor(before.type)) !== String(arrowTypeFor(p.type));
  });
  // Added columns are nullable in Lance (null first, then the default); the catalog
  // enforces a required property on every write, as for a column made required later.
  const relaxed = arrowSchemaFor({
    ...def,
    properties: def.properties.map((p) => ({ ...p, nullable: true })),
  });
  const pick = (names: string[]): Arrow.Schema | null =>
    names.length === 0 ? null : relaxed.select(names);
  return {
    add: pick(added.map((p) => p.name)),
    fill: added.flatMap((p) => {
      const sql = defaultSql(p);
      return sql === null ? [] : [{ column: p.name, valueSql: sql }];
    }),
    widen: pick(widened.map((p) => p.name)),
    nullable: def.properties
      .filter((p) => p.nullable && oldProps.get(p.name)?.nullable === false)
      .map((p) => p.name),
    drop: old.properties.filter((p) => !newNames.has(p.name)).map((p) => p.name),
  };
}

function assertOnlyMain(ctx: OperationContext): void {
  const others = ctx.journal
    .listBranches()
    .map((b) => b.name)
    .filter((n) => n !== MAIN_BRANCH);
  if (others.length > 0)
    throw new RepoError(
      'SchemaApplyBlocked',
      `schema apply needs a repo with only the main branch (the schema is repo-wide); found ${others.join(', ')}: merge and delete them first`,
      { reason: 'branches', branches: others },
    );
}

function assertSupported(plan: SchemaPlan): void {
  const bad = plan.steps.filter((s) => s.safety === 'unsupported');
  if (bad.length > 0)
    throw new RepoError(
      'SchemaApplyUnsupported',
      `schema apply refused: ${bad.map((s) => `${s.type}: ${s.detail}`).join('; ')}; nothing was changed`,
      { steps: bad },
    );
}

async function validate(
  ctx: OperationContext,
  snapshot: Snapshot,
  next: Catalog,
  plan: SchemaPlan,
): Promise<void> {
  const violations = await findViolations(ctx, snapshot, ctx.catalog, next, plan);
  if (violations.length > 0) throw refusal(violations);
}

/**
 * The table of a new type: created empty (version 1) and left unpinned until the
 * publish. One left by an earlier apply that crashed before its publish (empty, at
 * version 1, with the same columns) is taken as it is; any other table at that path
 * (a dropped type's of the same name, which history still reads) refuses the change.
 */
async function createNewTable(ctx: OperationContext, def: TypeDef): Promise<number> {
  const schema = arrowSchemaFor(def);
  if (!(await ctx.store.tableExists(def.tablePath)))
    return ctx.store.createTable(def.tableKey, def.tablePath, schema);
  const handle = await ctx.store.openTable(def.tableKey, def.tablePath);
  try {
    const version = await handle.version();
    const fields = (await handle.schema()).fields.map((f) => `${f.name}:${String(f.type)}`);
    const want = schema.fields.map((f) => `${f.name}:${String(f.type)}`);
    if (version === 1 && (await handle.countRows()) === 0 && fields.join() === want.join())
      return version;
  } finally {
    handle.close();
  }
  throw new RepoError(
    'SchemaApplyBlocked',
    `schema apply cannot add ${def.kind} type ${def.name}: its table ${def.tablePath} already holds data of a dropped type of that name; choose another name`,
    { reason: 'table-exists', table_key: def.tableKey, table_path: def.tablePath },
  );
}

/** One action per table of the current catalog: the changed ones alter, every one is leased. */
function actionsFor(ctx: OperationContext, next: Catalog): TableAction[] {
  const nextByKey = new Map(defsOf(next).map((d) => [d.tableKey, d]));
  return defsOf(ctx.catalog).map((old) => {
    const def = nextByKey.get(old.tableKey);
    const changes = def ? columnChangesFor(old, def) : null;
    return {
      def: def ?? old,
      commits: 'many' as const,
      async commit(_handle, step) {
        if (!changes || noColumnChanges(changes)) return step.pin;
        try {
          return await changeColumns(ctx.dir, old, step.pin, changes, (v) => step.committed(v));
        } finally {
          // The kept writer caches the table's columns: the next write opens afresh.
          ctx.store.dropWriter(old.tablePath);
        }
      },
    };
  });
}

/**
 * Applies a new schema to the repo (see the module comment). Refusals change nothing
 * and journal nothing; a failure inside the operation is rolled back by the protocol.
 */
export async function applySchemaChange(
  ctx: OperationContext,
  source: string,
  file: string,
  opts: SchemaApplyOptions = {},
): Promise<SchemaApplyResult> {
  const next = compileSchema(source, file);
  const plan = planSchemaChange(ctx.catalog, next);
  const previousHash = schemaFingerprint(ctx.catalog);
  const hash = schemaFingerprint(next);
  const base = { plan, previousHash, hash, catalog: next, created: [], unpinned: [], tables: [] };
  if (hash === previousHash)
    return { ...base, applied: false, opId: null, commitId: null, manifestVersion: null };
  assertSupported(plan);
  assertOnlyMain(ctx);
  const checked = ctx.journal.snapshot({ branch: MAIN_BRANCH });
  await validate(ctx, checked, next, plan);
  const oldKeys = new Set<string>(defsOf(ctx.catalog).map((d) => d.tableKey));
  const nextKeys = new Set<string>(defsOf(next).map((d) => d.tableKey));
  const outcome = await runWrite(
    ctx,
    'SchemaApply',
    { branch: MAIN_BRANCH, actor: opts.actor, message: opts.message ?? 'schema apply' },
    async (snapshot) => {
      assertOnlyMain(ctx);
      // A write published since the check: check the data it is about to lease again.
      if (snapshot.manifestVersion !== checked.manifestVersion)
        await validate(ctx, snapshot, next, plan);
      const newTables: Array<{ tableKey: string; version: number; files: FileDigest[] }> = [];
      for (const def of defsOf(next).filter((d) => !oldKeys.has(d.tableKey))) {
        const version = await createNewTable(ctx, def);
        const files = await ctx.store.lineFiles(def.tableKey, def.tablePath).digest(null, version);
        newTables.push({ tableKey: def.tableKey, version, files });
      }
      const unpin = snapshot.pins
        .filter((p) => oldKeys.has(p.tableKey) && !nextKeys.has(p.tableKey))
        .map((p) => ({ tableKey: p.tableKey, expectedVersion: p.version }));
      return {
        actions: actionsFor(ctx, next),
        value: { newTables, unpin },
        schemaChange: { hash, source, newTables, unpin },
      };
    },
  );
  // The journal now records the new schema: the file follows (open completes it after a crash).
  writeFileAtomic(join(ctx.dir, SCHEMA_FILE), source);
  return {
    ...base,
    applied: true,
    opId: outcome.opId,
    commitId: outcome.commitId,
    manifestVersion: outcome.manifestVersion,
    tables: outcome.tables.map((t) => ({ tableKey: t.tableKey, from: t.from, to: t.to })),
    created: outcome.value.newTables.map((t) => t.tableKey),
    unpinned: outcome.value.unpin.map((t) => t.tableKey),
  };
}
