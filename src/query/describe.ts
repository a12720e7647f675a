/**
 * A compiled query's operation descriptor, as `lint --json` prints it (the
 * reference's `operation` object, plus the parameters): its parameters with their
 * types, its result columns (kind decomposed so no type text need be parsed), the
 * graph types it may read (conservative) and the exact set it may write (empty for a
 * read). Sorted and deduplicated: node types before edge types, then by name.
 */
import { findEdgeType, findNodeType } from '../schema/lookup.js';
import type { Catalog } from '../schema/types.js';
import type { IrExpr, MutationOp, QueryPlan, ReadOp, ReadPlan, ValueType } from './types.js';
import { valueTypeText } from './values.js';

export type ValueKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'bigint'
  | 'float'
  | 'date'
  | 'datetime'
  | 'blob'
  | 'vector'
  | 'list'
  | 'object';

export interface ResultField {
  name: string;
  kind: ValueKind;
  /** A list's element kind. */
  item_kind?: ValueKind;
  /** A vector's dimension. */
  vector_dim?: number;
  nullable: boolean;
}

export interface GraphFact {
  kind: 'node' | 'edge';
  type_name: string;
}

export interface QueryOperation {
  params: Array<{ name: string; type: string; optional: boolean }>;
  result: ResultField[];
  reads: GraphFact[];
  writes: GraphFact[];
}

const SCALAR_KINDS: Record<string, ValueKind> = {
  String: 'string',
  Bool: 'bool',
  I32: 'int',
  U32: 'int',
  I64: 'bigint',
  U64: 'bigint',
  F32: 'float',
  F64: 'float',
  Date: 'date',
  DateTime: 'datetime',
  Blob: 'blob',
};

function kindOf(t: ValueType): Omit<ResultField, 'name' | 'nullable'> {
  switch (t.kind) {
    case 'scalar':
      return { kind: SCALAR_KINDS[t.name] };
    case 'enum':
    case 'null':
      return { kind: 'string' };
    case 'vector':
      return { kind: 'vector', vector_dim: t.dim };
    case 'list':
      return { kind: 'list', item_kind: kindOf(t.element).kind };
    case 'node':
      return { kind: 'object' };
    case 'rank':
      return { kind: 'float' };
  }
}

/** The set of graph types, deduplicated and in order (nodes first, then edges; by name). */
class Facts {
  private readonly keys = new Set<string>();

  add(kind: GraphFact['kind'], typeName: string): void {
    this.keys.add(`${kind === 'node' ? 0 : 1}\u0000${typeName}`);
  }

  list(): GraphFact[] {
    return [...this.keys].sort().map((k) => {
      const [rank, type_name] = k.split('\u0000');
      return { kind: rank === '0' ? 'node' : 'edge', type_name };
    });
  }
}

/** Per variable of a read, the catalog type it is bound to (node or edge, with its properties). */
function readFacts(ops: ReadOp[], catalog: Catalog, reads: Facts, vars: Map<string, string>): void {
  for (const op of ops) {
    if (op.op === 'scan') {
      reads.add('node', op.nodeType);
      vars.set(op.var, op.tableKey);
    } else if (op.op === 'expand') {
      const edge = findEdgeType(catalog, op.edgeTableKey)!;
      reads.add('edge', edge.name);
      reads.add('node', edge.from);
      reads.add('node', edge.to);
      vars.set(op.to, op.toTableKey);
      if (op.edgeVar !== null) vars.set(op.edgeVar, op.edgeTableKey);
    } else if (op.op === 'anti_join') readFacts(op.ops, catalog, reads, new Map(vars));
  }
}

/** Can this result expression be null? */
function nullable(e: IrExpr, plan: ReadPlan, catalog: Catalog, vars: Map<string, string>): boolean {
  switch (e.kind) {
    case 'prop': {
      if (e.prop === 'id') return false;
      const key = vars.get(e.var)!;
      const def = findNodeType(catalog, key) ?? findEdgeType(catalog, key);
      return def?.properties.find((p) => p.name === e.prop)?.nullable ?? true;
    }
    case 'param':
      return plan.params.find((p) => p.name === e.name)?.optional ?? true;
    case 'literal':
      return e.value === null;
    case 'aggregate':
      return e.fn !== 'count';
    case 'column': {
      const agg = plan.ops.find((o) => o.op === 'aggregate');
      const item =
        agg?.op === 'aggregate'
          ? [...agg.keys, ...agg.aggregates].find((k) => k.name === e.name)
          : undefined;
      return item ? nullable(item.expr, plan, catalog, vars) : true;
    }
    case 'call':
      return true;
    default:
      return false;
  }
}

function mutationFacts(ops: MutationOp[], catalog: Catalog, reads: Facts, writes: Facts): void {
  const both = (kind: GraphFact['kind'], name: string): void => {
    reads.add(kind, name);
    writes.add(kind, name);
  };
  for (const op of ops) {
    if (op.op === 'insert_node') both('node', op.nodeType);
    else if (op.op === 'insert_edge') {
      both('edge', op.edgeType);
      reads.add('node', op.fromType);
      reads.add('node', op.toType);
    } else {
      both(op.target, op.typeName);
      if (op.op === 'delete')
        for (const c of op.cascade) both('edge', findEdgeType(catalog, c.tableKey)!.name);
    }
  }
}

export function describeOperation(plan: QueryPlan, catalog: Catalog): QueryOperation {
  const reads = new Facts();
  const writes = new Facts();
  const params = plan.params.map((p) => ({
    name: p.name,
    type: valueTypeText(p.type),
    optional: p.optional,
  }));
  if (plan.kind === 'mutation') {
    mutationFacts(plan.ops, catalog, reads, writes);
    return { params, result: [], reads: reads.list(), writes: writes.list() };
  }
  const vars = new Map<string, string>();
  readFacts(plan.ops, catalog, reads, vars);
  const project = plan.ops.find((o) => o.op === 'project');
  const columns = project?.op === 'project' ? project.columns : [];
  const result = columns.map((c) => ({
    name: c.name,
    ...kindOf(c.type),
    nullable: nullable(c.expr, plan, catalog, vars),
  }));
  return { params, result, reads: reads.list(), writes: writes.list() };
}
