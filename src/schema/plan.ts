/**
 * Schema evolution plan: the pure difference between two catalogs as a list of steps,
 * each marked `safe` (no existing data can break it), `needs-validation` (existing
 * rows must be checked against the new rule before it may apply) or `unsupported`
 * (refused: Lancelog cannot migrate the data in place). No I/O: `lancelog schema plan`
 * prints it, `schema apply` validates and executes it (docs/schema-language.md
 * §Evolution).
 */
import { typeText } from './compile.js';
import type {
  Catalog,
  Cardinality,
  Constraints,
  EdgeTypeDef,
  PropType,
  PropertyDef,
  TypeDef,
} from './types.js';

export type StepSafety = 'safe' | 'needs-validation' | 'unsupported';

export type StepKind =
  | 'AddType'
  | 'DropType'
  | 'AddProperty'
  | 'DropProperty'
  | 'WidenProperty'
  | 'ChangePropertyType'
  | 'MakeNullable'
  | 'MakeRequired'
  | 'AddEnumValues'
  | 'RemoveEnumValues'
  | 'AddIndex'
  | 'DropIndex'
  | 'AddUnique'
  | 'DropUnique'
  | 'AddRange'
  | 'DropRange'
  | 'AddCheck'
  | 'DropCheck'
  | 'ChangeKey'
  | 'ChangeCardinality'
  | 'ChangeEndpoints'
  | 'ChangeMetadata';

export interface PlanStep {
  kind: StepKind;
  safety: StepSafety;
  /** `node:<Type>` / `edge:<Edge>`. */
  tableKey: string;
  /** The node or edge type name. */
  type: string;
  /** The property, when the step is about one. */
  property?: string;
  /** One line for humans: what changes and, unless safe, why it is not. */
  detail: string;
}

export interface SchemaPlan {
  steps: PlanStep[];
  /** No step at all: the two schemas describe the same tables. */
  unchanged: boolean;
  /** Some step is unsupported: `schema apply` refuses the whole plan. */
  unsupported: boolean;
  /** Some step must be checked against the data before apply. */
  needsValidation: boolean;
}

/** Integer and float widenings Lance can cast in place (alterColumns). */
const WIDENINGS: ReadonlyArray<readonly [string, string]> = [
  ['I32', 'I64'],
  ['U32', 'U64'],
  ['F32', 'F64'],
];

function isWidening(from: PropType, to: PropType): boolean {
  return (
    from.kind === 'scalar' &&
    to.kind === 'scalar' &&
    WIDENINGS.some(([a, b]) => a === from.name && b === to.name)
  );
}

function sameType(a: PropType, b: PropType): boolean {
  return typeText(a) === typeText(b);
}

/** The enum values of a property type (of its element, for a list of enums), else null. */
function enumValues(t: PropType): string[] | null {
  if (t.kind === 'enum') return t.values;
  if (t.kind === 'list' && t.element.kind === 'enum') return t.element.values;
  return null;
}

/** The type with its enum values dropped: two enums differ only in values when these match. */
function shape(t: PropType): string {
  if (t.kind === 'enum') return 'enum';
  if (t.kind === 'list' && t.element.kind === 'enum') return '[enum]';
  return typeText(t);
}

/** A property's `@default(value)` annotation (metadata in the catalog), if any. */
export function defaultOf(p: PropertyDef): string | number | boolean | undefined {
  return p.annotations.find((a) => a.name === 'default' && a.args.length === 1)?.args[0];
}

type Emit = (kind: StepKind, safety: StepSafety, detail: string, property?: string) => void;

function emitterFor(def: TypeDef, steps: PlanStep[]): Emit {
  return (kind, safety, detail, property) =>
    steps.push({
      kind,
      safety,
      tableKey: def.tableKey,
      type: def.name,
      ...(property !== undefined ? { property } : {}),
      detail,
    });
}

function addedProperty(p: PropertyDef, emit: Emit): void {
  const t = `${typeText(p.type)}${p.nullable ? '?' : ''}`;
  if (p.nullable)
    emit('AddProperty', 'safe', `add ${p.name}: ${t} (null in existing rows)`, p.name);
  else if (defaultOf(p) !== undefined)
    emit(
      'AddProperty',
      'safe',
      `add ${p.name}: ${t} = ${String(defaultOf(p))} in existing rows`,
      p.name,
    );
  else
    emit(
      'AddProperty',
      'needs-validation',
      `add required ${p.name}: ${t} without @default: only possible while the table is empty`,
      p.name,
    );
}

function changedType(old: PropertyDef, neu: PropertyDef, emit: Emit): void {
  const from = typeText(old.type);
  const to = typeText(neu.type);
  if (isWidening(old.type, neu.type)) {
    emit('WidenProperty', 'safe', `widen ${neu.name} from ${from} to ${to}`, neu.name);
    return;
  }
  const oldValues = enumValues(old.type);
  const newValues = enumValues(neu.type);
  if (oldValues && newValues && shape(old.type) === shape(neu.type)) {
    const added = newValues.filter((v) => !oldValues.includes(v));
    const removed = oldValues.filter((v) => !newValues.includes(v));
    if (added.length)
      emit('AddEnumValues', 'safe', `enum ${neu.name} gains ${added.join(', ')}`, neu.name);
    if (removed.length)
      emit(
        'RemoveEnumValues',
        'needs-validation',
        `enum ${neu.name} loses ${removed.join(', ')}: no row may hold them`,
        neu.name,
      );
    return;
  }
  emit(
    'ChangePropertyType',
    'unsupported',
    `${neu.name} changes type from ${from} to ${to}: only I32→I64, U32→U64, F32→F64 widen in place`,
    neu.name,
  );
}

function changedProperty(old: PropertyDef, neu: PropertyDef, emit: Emit): void {
  if (!sameType(old.type, neu.type)) changedType(old, neu, emit);
  if (old.nullable && !neu.nullable)
    emit(
      'MakeRequired',
      'needs-validation',
      `${neu.name} becomes required: no row may hold null`,
      neu.name,
    );
  if (!old.nullable && neu.nullable)
    emit('MakeNullable', 'safe', `${neu.name} becomes nullable`, neu.name);
  if (JSON.stringify(old.annotations) !== JSON.stringify(neu.annotations))
    emit('ChangeMetadata', 'safe', `${neu.name}: annotations change (metadata only)`, neu.name);
}

function diffProperties(old: TypeDef, neu: TypeDef, emit: Emit): void {
  const oldByName = new Map(old.properties.map((p) => [p.name, p]));
  const newNames = new Set(neu.properties.map((p) => p.name));
  for (const p of old.properties)
    if (!newNames.has(p.name))
      emit('DropProperty', 'safe', `drop ${p.name} (its values stay readable in history)`, p.name);
  for (const p of neu.properties) {
    const before = oldByName.get(p.name);
    if (before) changedProperty(before, p, emit);
    else addedProperty(p, emit);
  }
}

const setKey = (names: string[]): string => JSON.stringify([...names].sort());

function diffSets(
  old: string[][],
  neu: string[][],
  add: [StepKind, StepSafety, string],
  drop: [StepKind, StepSafety, string],
  emit: Emit,
): void {
  const oldKeys = new Set(old.map(setKey));
  const newKeys = new Set(neu.map(setKey));
  for (const s of neu)
    if (!oldKeys.has(setKey(s))) emit(add[0], add[1], `${add[2]}(${s.join(', ')})`, s.join(','));
  for (const s of old)
    if (!newKeys.has(setKey(s))) emit(drop[0], drop[1], `${drop[2]}(${s.join(', ')})`, s.join(','));
}

function rangeText(r: { min: number | null; max: number | null }): string {
  return `${r.min ?? ''}..${r.max ?? ''}`;
}

/** A new range is safe only when it contains the old one. */
function rangeContains(
  outer: { min: number | null; max: number | null },
  inner: { min: number | null; max: number | null },
): boolean {
  const minOk = outer.min === null || (inner.min !== null && inner.min >= outer.min);
  const maxOk = outer.max === null || (inner.max !== null && inner.max <= outer.max);
  return minOk && maxOk;
}

function diffRanges(old: Constraints, neu: Constraints, emit: Emit): void {
  for (const r of neu.range) {
    const before = old.range.find((o) => o.property === r.property);
    if (before && rangeText(before) === rangeText(r)) continue;
    const safe = before !== undefined && rangeContains(r, before);
    emit(
      'AddRange',
      safe ? 'safe' : 'needs-validation',
      `@range(${r.property}, ${rangeText(r)})${before ? ` replaces ${rangeText(before)}` : ''}${safe ? ' (wider)' : ': every value must lie in it'}`,
      r.property,
    );
  }
  for (const r of old.range)
    if (!neu.range.some((n) => n.property === r.property))
      emit('DropRange', 'safe', `drop @range(${r.property}, ${rangeText(r)})`, r.property);
}

function diffChecks(old: Constraints, neu: Constraints, emit: Emit): void {
  const text = (c: { property: string; pattern: string }) => `${c.property}\u0000${c.pattern}`;
  const oldSet = new Set(old.check.map(text));
  const newSet = new Set(neu.check.map(text));
  for (const c of neu.check)
    if (!oldSet.has(text(c)))
      emit(
        'AddCheck',
        'needs-validation',
        `@check(${c.property}, "${c.pattern}"): every value must match`,
        c.property,
      );
  for (const c of old.check)
    if (!newSet.has(text(c)))
      emit('DropCheck', 'safe', `drop @check(${c.property}, "${c.pattern}")`, c.property);
}

function diffConstraints(old: TypeDef, neu: TypeDef, emit: Emit): void {
  const a = old.constraints;
  const b = neu.constraints;
  if (setKey(a.key) !== setKey(b.key))
    emit(
      'ChangeKey',
      'unsupported',
      `@key changes from (${a.key.join(', ')}) to (${b.key.join(', ')}): node ids are key values`,
    );
  diffSets(
    a.index,
    b.index,
    ['AddIndex', 'safe', '@index'],
    ['DropIndex', 'safe', 'drop @index'],
    emit,
  );
  diffSets(
    a.unique,
    b.unique,
    ['AddUnique', 'needs-validation', '@unique'],
    ['DropUnique', 'safe', 'drop @unique'],
    emit,
  );
  diffRanges(a, b, emit);
  diffChecks(a, b, emit);
}

function cardText(c: Cardinality): string {
  return `${c.min}..${c.max ?? '*'}`;
}

function diffEdge(old: EdgeTypeDef, neu: EdgeTypeDef, emit: Emit): void {
  if (old.from !== neu.from || old.to !== neu.to)
    emit(
      'ChangeEndpoints',
      'unsupported',
      `endpoints change from ${old.from} -> ${old.to} to ${neu.from} -> ${neu.to}: existing edges would point at the wrong types`,
    );
  if (cardText(old.card) !== cardText(neu.card)) {
    const wider =
      neu.card.min <= old.card.min &&
      (neu.card.max === null || (old.card.max !== null && old.card.max <= neu.card.max));
    emit(
      'ChangeCardinality',
      wider ? 'safe' : 'needs-validation',
      `@card ${cardText(old.card)} → ${cardText(neu.card)}${wider ? ' (wider)' : ': every source node must satisfy it'}`,
    );
  }
}

function diffType(old: TypeDef, neu: TypeDef, steps: PlanStep[]): void {
  const emit = emitterFor(neu, steps);
  if (old.kind === 'edge' && neu.kind === 'edge') diffEdge(old, neu, emit);
  diffProperties(old, neu, emit);
  diffConstraints(old, neu, emit);
  if (
    JSON.stringify(old.annotations) !== JSON.stringify(neu.annotations) ||
    (old.kind === 'node' &&
      neu.kind === 'node' &&
      setKey(old.implements) !== setKey(neu.implements))
  )
    emit('ChangeMetadata', 'safe', `${neu.name}: annotations or interfaces change (metadata only)`);
}

function allDefs(c: Catalog): TypeDef[] {
  return [...c.nodes, ...c.edges];
}

/**
 * The steps that take a repo from `current` to `next`, in a stable order: per type of
 * `next` (declaration order) its changes, then the dropped types. A type is matched by
 * table key (kind and name): a renamed type is a drop plus an add.
 */
export function planSchemaChange(current: Catalog, next: Catalog): SchemaPlan {
  const steps: PlanStep[] = [];
  const oldByKey = new Map(allDefs(current).map((d) => [d.tableKey, d]));
  const newKeys = new Set(allDefs(next).map((d) => d.tableKey));
  for (const def of allDefs(next)) {
    const before = oldByKey.get(def.tableKey);
    if (before) diffType(before, def, steps);
    else
      emitterFor(def, steps)(
        'AddType',
        'safe',
        `add ${def.kind} type ${def.name} (a new, empty table ${def.tablePath})`,
      );
  }
  for (const def of allDefs(current))
    if (!newKeys.has(def.tableKey))
      emitterFor(def, steps)(
        'DropType',
        'safe',
        `drop ${def.kind} type ${def.name} (its table leaves the schema; history keeps it)`,
      );
  return {
    steps,
    unchanged: steps.length === 0,
    unsupported: steps.some((s) => s.safety === 'unsupported'),
    needsValidation: steps.some((s) => s.safety === 'needs-validation'),
  };
}
