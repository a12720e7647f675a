/**
 * `lancelog schema apply`, step one: the existing data checked against the new rules
 * (docs/schema-language.md §Evolution). Every `needs-validation` step of the plan is
 * checked on the rows of a snapshot, under the new types' rules: a new or narrower
 * `@range`, `@check`, `@unique`, a property becoming required, enum values removed, a
 * required property added without `@default`, a narrower `@card`. A property the
 * change adds is checked with the value it will hold (its `@default`, else null).
 * Reads only; the caller refuses the whole change when anything is found.
 */
import type { Catalog, EdgeTypeDef, PropertyDef, TypeDef } from '../../schema/types.js';
import { nodeTypeNamed } from '../../schema/lookup.js';
import { defaultOf, type PlanStep, type SchemaPlan } from '../../schema/plan.js';
import type { Snapshot, TablePin } from '../../journal/index.js';
import type { TableHandle } from '../../storage/index.js';
import { RepoError } from '../../errors.js';

/** How many offending row ids an error names. */
export const SAMPLE_IDS = 5;

export interface Violation {
  type: string;
  property: string | null;
  step: PlanStep['kind'];
  /** The rule, as the schema spells it, e.g. `@range(age, 0..150)`. */
  rule: string;
  /** Rows (source nodes for `@card`) that break it. */
  rows: number;
  /** The first few of their ids. */
  rowIds: string[];
}

export interface ValidationContext {
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

type Column = { ids: string[]; values: (name: string) => unknown[] };

function defsOf(c: Catalog): TypeDef[] {
  return [...c.nodes, ...c.edges];
}

function pinOf(snapshot: Snapshot, tableKey: string): TablePin | undefined {
  return snapshot.pins.find((p) => p.tableKey === tableKey);
}

function collect(ids: string[], bad: (i: number) => boolean): { rows: number; rowIds: string[] } {
  const rowIds: string[] = [];
  let rows = 0;
  for (let i = 0; i < ids.length; i++)
    if (bad(i)) {
      rows++;
      if (rowIds.length < SAMPLE_IDS) rowIds.push(ids[i]);
    }
  return { rows, rowIds };
}

const enumValuesOf = (p: PropertyDef): string[] | null =>
  p.type.kind === 'enum'
    ? p.type.values
    : p.type.kind === 'list' && p.type.element.kind === 'enum'
      ? p.type.element.values
      : null;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** The rule a step checks, as a predicate over one row's value(s), or null when it checks none. */
function ruleOf(
  step: PlanStep,
  def: TypeDef,
  old: TypeDef,
): { rule: string; props: string[]; bad: (vals: unknown[]) => boolean } | null {
  const prop = def.properties.find((p) => p.name === step.property);
  switch (step.kind) {
    case 'AddRange': {
      const r = def.constraints.range.find((x) => x.property === step.property)!;
      return {
        rule: `@range(${r.property}, ${r.min ?? ''}..${r.max ?? ''})`,
        props: [r.property],
        bad: ([v]) => {
          if (v === null || v === undefined) return false;
          const n = Number(v as number | bigint);
          return (r.min !== null && n < r.min) || (r.max !== null && n > r.max);
        },
      };
    }
    case 'AddCheck': {
      const cs = def.constraints.check.filter((x) => x.property === step.property);
      const res = cs.map((c) => new RegExp(c.pattern, 'u'));
      return {
        rule: cs.map((c) => `@check(${c.property}, "${c.pattern}")`).join(' '),
        props: [step.property!],
        bad: ([v]) =>
          v !== null &&
          v !== undefined &&
          asList(v).some((s) => typeof s === 'string' && res.some((re) => !re.test(s))),
      };
    }
    case 'MakeRequired':
      return {
        rule: `${step.property} required`,
        props: [step.property!],
        bad: ([v]) => v === null || v === undefined,
      };
    case 'RemoveEnumValues': {
      const keep = new Set(enumValuesOf(prop!) ?? []);
      const before = old.properties.find((p) => p.name === step.property)!;
      const removed = (enumValuesOf(before) ?? []).filter((v) => !keep.has(v));
      return {
        rule: `${step.property} without ${removed.join(', ')}`,
        props: [step.property!],
        bad: ([v]) => v !== null && v !== undefined && asList(v).some((s) => !keep.has(String(s))),
      };
    }
    case 'AddProperty':
      // Required, no @default: only an empty table can take it (every row breaks it).
      return {
        rule: `${step.property} required without @default`,
        props: [],
        bad: () => true,
      };
    default:
      return null;
  }
}

/** The values each row will hold for `prop`: stored ones, or the new property's default/null. */
function valuesFor(cols: Column, def: TypeDef, old: TypeDef, prop: string): unknown[] {
  if (old.properties.some((p) => p.name === prop)) return cols.values(prop);
  const p = def.properties.find((x) => x.name === prop);
  const d = p ? defaultOf(p) : undefined;
  return cols.ids.map(() => d ?? null);
}

function uniqueViolation(def: TypeDef, old: TypeDef, cols: Column, step: PlanStep): Violation {
  const names = step.property!.split(',');
  const vals = names.map((n) => valuesFor(cols, def, old, n));
  const seen = new Map<string, number>();
  const dup = new Set<number>();
  for (let i = 0; i < cols.ids.length; i++) {
    const tuple = vals.map((v) => v[i]);
    if (tuple.some((v) => v === null || v === undefined)) continue;
    const key = JSON.stringify(tuple, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else dup.add(first).add(i);
  }
  return {
    type: def.name,
    property: step.property!,
    step: step.kind,
    rule: `@unique(${names.join(', ')})`,
    ...collect(cols.ids, (i) => dup.has(i)),
  };
}

async function readColumns(handle: TableHandle, props: string[]): Promise<Column> {
  const columns = ['id', ...new Set(props)];
  const got = await handle.scanColumns({ columns });
  return { ids: got.get('id')!.map(String), values: (n) => got.get(n)! };
}

/** The violations of one kept type's steps. */
async function checkType(
  ctx: ValidationContext,
  snapshot: Snapshot,
  def: TypeDef,
  old: TypeDef,
  steps: PlanStep[],
): Promise<Violation[]> {
  const pin = pinOf(snapshot, def.tableKey);
  if (!pin) return [];
  const handle = await ctx.openPinned(def.tableKey, pin);
  const rules = steps.map((s) => ({ step: s, rule: ruleOf(s, def, old) }));
  const props = rules
    .flatMap((r) => r.rule?.props ?? [])
    .concat(steps.filter((s) => s.kind === 'AddUnique').flatMap((s) => s.property!.split(',')))
    .filter((p) => old.properties.some((o) => o.name === p));
  const cols = await readColumns(handle, props);
  const out: Violation[] = [];
  for (const { step, rule } of rules) {
    const vals = rule?.props.map((p) => valuesFor(cols, def, old, p)) ?? [];
    const v: Violation | null =
      step.kind === 'AddUnique'
        ? uniqueViolation(def, old, cols, step)
        : rule
          ? {
              type: def.name,
              property: step.property ?? null,
              step: step.kind,
              rule: rule.rule,
              ...collect(cols.ids, (i) => rule.bad(vals.map((v) => v[i]))),
            }
          : null;
    if (v && v.rows > 0) out.push(v);
  }
  return out;
}

/** A narrower `@card`: every source node's out-degree must lie in it. */
async function checkCardinality(
  ctx: ValidationContext,
  snapshot: Snapshot,
  edge: EdgeTypeDef,
  next: Catalog,
): Promise<Violation | null> {
  const { min, max } = edge.card;
  const edgePin = pinOf(snapshot, edge.tableKey);
  const from = nodeTypeNamed(next, edge.from);
  const fromPin = from && pinOf(snapshot, from.tableKey);
  if (!edgePin || !from || !fromPin) return null;
  const counts = new Map<string, number>();
  if (min > 0) {
    const nodes = await readColumns(await ctx.openPinned(from.tableKey, fromPin), []);
    for (const id of nodes.ids) counts.set(id, 0);
  }
  const edges = await readColumns(await ctx.openPinned(edge.tableKey, edgePin), ['src']);
  for (const src of edges.values('src'))
    counts.set(String(src), (counts.get(String(src)) ?? 0) + 1);
  const ids = [...counts.keys()];
  const got = collect(ids, (i) => {
    const n = counts.get(ids[i])!;
    return n < min || (max !== null && n > max);
  });
  if (got.rows === 0) return null;
  return {
    type: edge.name,
    property: null,
    step: 'ChangeCardinality',
    rule: `@card(${min}..${max ?? '*'})`,
    ...got,
  };
}

/** Every violation of the plan's `needs-validation` steps in the snapshot's data. */
export async function findViolations(
  ctx: ValidationContext,
  snapshot: Snapshot,
  current: Catalog,
  next: Catalog,
  plan: SchemaPlan,
): Promise<Violation[]> {
  const oldByKey = new Map(defsOf(current).map((d) => [d.tableKey, d]));
  const out: Violation[] = [];
  for (const def of defsOf(next)) {
    const old = oldByKey.get(def.tableKey);
    const steps = plan.steps.filter(
      (s) => s.tableKey === def.tableKey && s.safety === 'needs-validation',
    );
    if (!old || steps.length === 0) continue;
    out.push(...(await checkType(ctx, snapshot, def, old, steps)));
    if (def.kind === 'edge' && steps.some((s) => s.kind === 'ChangeCardinality')) {
      const v = await checkCardinality(ctx, snapshot, def, next);
      if (v) out.push(v);
    }
  }
  return out;
}

/** The refusal naming the first violation (all of them in `details.violations`). */
export function refusal(violations: Violation[]): RepoError {
  const [v] = violations;
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more rule(s))` : '';
  return new RepoError(
    'SchemaApplyRefused',
    `schema apply refused: ${v.rows} ${v.type} row(s) break ${v.rule}${v.property ? ` on ${v.type}.${v.property}` : ''}, e.g. ${v.rowIds.map((id) => JSON.stringify(id)).join(', ')}${more}; nothing was changed`,
    {
      type: v.type,
      property: v.property,
      step: v.step,
      rule: v.rule,
      row_ids: v.rowIds,
      rows: v.rows,
      violations: violations.map((x) => ({
        type: x.type,
        property: x.property,
        step: x.step,
        rule: x.rule,
        rows: x.rows,
        row_ids: x.rowIds,
      })),
    },
  );
}
