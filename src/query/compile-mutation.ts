/** Mutations: insert, update and delete statements, their assignments and where predicates. */
import type { EdgeTypeDef, NodeTypeDef, PropType, PropertyDef } from '../schema/types.js';
import type { AssignNode, MutationBodyNode, Pos, StatementNode, WherePredNode } from './ast.js';
import type {
  Assignment,
  MutationOp,
  MutationPlan,
  ParamInfo,
  Predicate,
  QueryMeta,
} from './types.js';
import { classOf, valueTypeText } from './values.js';
import { findNodeTypeIgnoringCase } from '../schema/lookup.js';
import { STRING, ORDERING, nodeKeyType, type CheckContext } from './compile-context.js';
import { valueFor } from './compile-value.js';

/** A mutation's statements, checked in order. */
export function compileMutation(
  cx: CheckContext,
  body: MutationBodyNode,
  params: ParamInfo[],
  meta: QueryMeta,
): MutationPlan {
  const ops = body.statements.map((s) => statement(cx, s));
  return { kind: 'mutation', name: cx.diag.query, params, meta, ops };
}

/** The node or edge type a statement names (edges case-insensitively). */
function target(
  cx: CheckContext,
  name: string,
  pos: Pos,
): { node?: NodeTypeDef; edge?: EdgeTypeDef } {
  const node = cx.types.nodeNamed(name);
  if (node) return { node };
  const edge = cx.types.edgeNamed(name);
  if (edge) return { edge };
  const hint = findNodeTypeIgnoringCase(cx.types.catalog, name);
  return cx.diag.fail(
    'UnknownType',
    `unknown node or edge type '${name}'${hint ? ` (did you mean '${hint.name}'?)` : ''}`,
    pos,
  );
}

function assignments(
  cx: CheckContext,
  values: AssignNode[],
  props: PropertyDef[],
  owner: string,
  mode: 'insert' | 'set',
  skip: Set<string>,
): Assignment[] {
  const seen = new Set<string>();
  const out: Assignment[] = [];
  for (const a of values) {
    if (seen.has(a.prop))
      cx.diag.fail('DuplicateAssignment', `property '${a.prop}' is assigned twice`, a.pos);
    seen.add(a.prop);
    if (skip.has(a.prop)) continue;
    const p = props.find((x) => x.name === a.prop);
    if (!p) {
      cx.diag.fail(
        'UnknownProperty',
        `${owner} has no property '${a.prop}'${props.length ? ` (properties: ${props.map((x) => x.name).join(', ')})` : ''}`,
        a.pos,
      );
    }
    out.push({
      property: p.name,
      type: p.type,
      nullable: p.nullable,
      value: valueFor(cx, a.value, p.type, p.nullable, mode, `${owner}.${p.name}`),
    });
  }
  return out;
}

function statement(cx: CheckContext, s: StatementNode): MutationOp {
  const { node, edge } = target(cx, s.type, s.typePos);
  if (s.kind === 'insert') return node ? insertNode(cx, s, node) : insertEdge(cx, s, edge!);
  const props = node ? node.properties : edge!.properties;
  const owner = node ? `node type ${node.name}` : `edge type ${edge!.name}`;
  const where = s.where.map((w) => predicate(cx, w, node, edge));
  const base = {
    target: node ? ('node' as const) : ('edge' as const),
    typeName: node ? node.name : edge!.name,
    tableKey: node ? node.tableKey : edge!.tableKey,
  };
  if (s.kind === 'update') {
    const set = assignments(cx, s.set, props, owner, 'set', new Set());
    return { op: 'update', ...base, set, where };
  }
  const cascade = node
    ? cx.types.catalog.edges
        .filter((e) => e.from === node.name || e.to === node.name)
        .map((e) => ({
          edgeType: e.name,
          tableKey: e.tableKey,
          side:
            e.from === e.to
              ? ('both' as const)
              : e.from === node.name
                ? ('src' as const)
                : ('dst' as const),
        }))
    : [];
  return { op: 'delete', ...base, where, cascade };
}

/** `insert Node { … }`: every required property set (an @embed vector may be left to its source). */
function insertNode(
  cx: CheckContext,
  s: Extract<StatementNode, { kind: 'insert' }>,
  node: NodeTypeDef,
): MutationOp {
  const values = assignments(
    cx,
    s.values,
    node.properties,
    `node type ${node.name}`,
    'insert',
    new Set(),
  );
  const sets = (name: string) => values.some((v) => v.property === name);
  // An @embed vector the insert leaves out is computed from its source text at
  // write time (docs/writes.md §Embeddings), so only the source must be set.
  const embedSource = (name: string) => node.embed.find((e) => e.property === name)?.source;
  const missing = node.properties
    .filter((p) => !p.nullable && !sets(p.name))
    .filter((p) => {
      const source = embedSource(p.name);
      return source === undefined || !sets(source);
    })
    .map((p) => {
      const source = embedSource(p.name);
      return source === undefined ? p.name : `${p.name} (or its @embed source ${source})`;
    });
  if (missing.length) {
    cx.diag.fail(
      'MissingRequiredProperty',
      `insert ${node.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
      s.typePos,
    );
  }
  return { op: 'insert_node', nodeType: node.name, tableKey: node.tableKey, values };
}

/** `insert Edge { from: …, to: …, … }`: both endpoint keys and every required property. */
function insertEdge(
  cx: CheckContext,
  s: Extract<StatementNode, { kind: 'insert' }>,
  e: EdgeTypeDef,
): MutationOp {
  const fromA = s.values.find((a) => a.prop === 'from');
  const toA = s.values.find((a) => a.prop === 'to');
  if (!fromA || !toA) {
    cx.diag.fail(
      'EdgeInsertMissingEndpoint',
      `insert ${e.name} needs ${!fromA && !toA ? "'from' and 'to'" : !fromA ? "'from'" : "'to'"} (the key values of its ${e.from} and ${e.to} endpoints)`,
      s.typePos,
    );
  }
  const fromNode = cx.types.nodeNamed(e.from)!;
  const toNode = cx.types.nodeNamed(e.to)!;
  const values = assignments(
    cx,
    s.values,
    e.properties,
    `edge type ${e.name}`,
    'insert',
    new Set(['from', 'to']),
  );
  const missing = e.properties
    .filter((p) => !p.nullable && !values.some((v) => v.property === p.name))
    .map((p) => p.name);
  if (missing.length)
    cx.diag.fail(
      'MissingRequiredProperty',
      `insert ${e.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
      s.typePos,
    );
  return {
    op: 'insert_edge',
    edgeType: e.name,
    tableKey: e.tableKey,
    from: valueFor(
      cx,
      fromA.value,
      nodeKeyType(fromNode),
      false,
      'insert',
      `the 'from' key (${e.from})`,
    ),
    to: valueFor(cx, toA.value, nodeKeyType(toNode), false, 'insert', `the 'to' key (${e.to})`),
    fromType: e.from,
    toType: e.to,
    values,
  };
}

/** `column op value` of an update or delete, typed by the column. */
function predicate(
  cx: CheckContext,
  w: WherePredNode,
  node?: NodeTypeDef,
  edge?: EdgeTypeDef,
): Predicate {
  let column = w.prop;
  let type: PropType;
  let nullable = false;
  if (w.prop === 'id') type = STRING;
  else if (edge && (w.prop === 'from' || w.prop === 'to' || w.prop === 'src' || w.prop === 'dst')) {
    const isSrc = w.prop === 'from' || w.prop === 'src';
    column = isSrc ? 'src' : 'dst';
    type = nodeKeyType(cx.types.nodeNamed(isSrc ? edge.from : edge.to)!);
  } else {
    const props = node ? node.properties : edge!.properties;
    const p = props.find((x) => x.name === w.prop);
    if (!p) {
      const extra = node ? ['id'] : ['id', 'from', 'to'];
      cx.diag.fail(
        'UnknownProperty',
        `${node ? `node type ${node.name}` : `edge type ${edge!.name}`} has no property '${w.prop}' (columns: ${[...extra, ...props.map((x) => x.name)].join(', ')})`,
        w.pos,
      );
    }
    type = p.type;
    nullable = p.nullable;
  }
  let valueType: PropType = type;
  if (w.op === 'contains') {
    if (type.kind === 'list') valueType = type.element;
    else if (classOf(type) !== 'string')
      cx.diag.fail(
        'TypeMismatch',
        `contains needs a String or list column; '${w.prop}' is ${valueTypeText(type)}`,
        w.pos,
      );
  } else if (ORDERING.has(w.op) && !['numeric', 'string', 'temporal'].includes(classOf(type))) {
    cx.diag.fail(
      'TypeMismatch',
      `${w.op} needs a number, string or date column; '${w.prop}' is ${valueTypeText(type)}`,
      w.pos,
    );
  }
  const value = valueFor(
    cx,
    w.value,
    valueType,
    nullable || w.op === '=' || w.op === '!=',
    'where',
    `'${w.prop}'`,
  );
  if (value.kind === 'literal' && value.value === null && w.op !== '=' && w.op !== '!=')
    cx.diag.fail('TypeMismatch', 'null can only be compared with = or !=', w.value.pos);
  return { column, op: w.op, type, value };
}
