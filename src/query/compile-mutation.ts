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
import { STRING, ORDERING, nodeKeyType } from './compile-base.js';
import { MatchCompiler } from './compile-match.js';

export abstract class MutationCompiler extends MatchCompiler {
  // ── mutations ─────────────────────────────────────────────────

  protected compileMutation(
    body: MutationBodyNode,
    params: ParamInfo[],
    meta: QueryMeta,
  ): MutationPlan {
    const ops = body.statements.map((s) => this.statement(s));
    return { kind: 'mutation', name: this.q.name, params, meta, ops };
  }

  protected target(name: string, pos: Pos): { node?: NodeTypeDef; edge?: EdgeTypeDef } {
    const node = this.nodes.get(name);
    if (node) return { node };
    const edge = this.edges.get(name.toLowerCase());
    if (edge) return { edge };
    const hint = this.catalog.nodes.find((n) => n.name.toLowerCase() === name.toLowerCase());
    return this.error(
      'UnknownType',
      `unknown node or edge type '${name}'${hint ? ` (did you mean '${hint.name}'?)` : ''}`,
      pos,
    );
  }

  protected assignments(
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
        this.error('DuplicateAssignment', `property '${a.prop}' is assigned twice`, a.pos);
      seen.add(a.prop);
      if (skip.has(a.prop)) continue;
      const p = props.find((x) => x.name === a.prop);
      if (!p) {
        this.error(
          'UnknownProperty',
          `${owner} has no property '${a.prop}'${props.length ? ` (properties: ${props.map((x) => x.name).join(', ')})` : ''}`,
          a.pos,
        );
      }
      out.push({
        property: p.name,
        type: p.type,
        nullable: p.nullable,
        value: this.valueFor(a.value, p.type, p.nullable, mode, `${owner}.${p.name}`),
      });
    }
    return out;
  }

  protected statement(s: StatementNode): MutationOp {
    const { node, edge } = this.target(s.type, s.typePos);
    if (s.kind === 'insert') return node ? this.insertNode(s, node) : this.insertEdge(s, edge!);
    const props = node ? node.properties : edge!.properties;
    const owner = node ? `node type ${node.name}` : `edge type ${edge!.name}`;
    const where = s.where.map((w) => this.predicate(w, node, edge));
    const base = {
      target: node ? ('node' as const) : ('edge' as const),
      typeName: node ? node.name : edge!.name,
      tableKey: node ? node.tableKey : edge!.tableKey,
    };
    if (s.kind === 'update') {
      const set = this.assignments(s.set, props, owner, 'set', new Set());
      return { op: 'update', ...base, set, where };
    }
    const cascade = node
      ? this.catalog.edges
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
  private insertNode(s: Extract<StatementNode, { kind: 'insert' }>, node: NodeTypeDef): MutationOp {
    const values = this.assignments(
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
      this.error(
        'MissingRequiredProperty',
        `insert ${node.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
        s.typePos,
      );
    }
    return { op: 'insert_node', nodeType: node.name, tableKey: node.tableKey, values };
  }

  /** `insert Edge { from: …, to: …, … }`: both endpoint keys and every required property. */
  private insertEdge(s: Extract<StatementNode, { kind: 'insert' }>, e: EdgeTypeDef): MutationOp {
    const fromA = s.values.find((a) => a.prop === 'from');
    const toA = s.values.find((a) => a.prop === 'to');
    if (!fromA || !toA) {
      this.error(
        'EdgeInsertMissingEndpoint',
        `insert ${e.name} needs ${!fromA && !toA ? "'from' and 'to'" : !fromA ? "'from'" : "'to'"} (the key values of its ${e.from} and ${e.to} endpoints)`,
        s.typePos,
      );
    }
    const fromNode = this.nodes.get(e.from)!;
    const toNode = this.nodes.get(e.to)!;
    const values = this.assignments(
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
      this.error(
        'MissingRequiredProperty',
        `insert ${e.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
        s.typePos,
      );
    return {
      op: 'insert_edge',
      edgeType: e.name,
      tableKey: e.tableKey,
      from: this.valueFor(
        fromA.value,
        nodeKeyType(fromNode),
        false,
        'insert',
        `the 'from' key (${e.from})`,
      ),
      to: this.valueFor(toA.value, nodeKeyType(toNode), false, 'insert', `the 'to' key (${e.to})`),
      fromType: e.from,
      toType: e.to,
      values,
    };
  }

  protected predicate(w: WherePredNode, node?: NodeTypeDef, edge?: EdgeTypeDef): Predicate {
    let column = w.prop;
    let type: PropType;
    let nullable = false;
    if (w.prop === 'id') type = STRING;
    else if (
      edge &&
      (w.prop === 'from' || w.prop === 'to' || w.prop === 'src' || w.prop === 'dst')
    ) {
      const isSrc = w.prop === 'from' || w.prop === 'src';
      column = isSrc ? 'src' : 'dst';
      type = nodeKeyType(this.nodes.get(isSrc ? edge.from : edge.to)!);
    } else {
      const props = node ? node.properties : edge!.properties;
      const p = props.find((x) => x.name === w.prop);
      if (!p) {
        const extra = node ? ['id'] : ['id', 'from', 'to'];
        this.error(
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
        this.error(
          'TypeMismatch',
          `contains needs a String or list column; '${w.prop}' is ${valueTypeText(type)}`,
          w.pos,
        );
    } else if (ORDERING.has(w.op) && !['numeric', 'string', 'temporal'].includes(classOf(type))) {
      this.error(
        'TypeMismatch',
        `${w.op} needs a number, string or date column; '${w.prop}' is ${valueTypeText(type)}`,
        w.pos,
      );
    }
    const value = this.valueFor(
      w.value,
      valueType,
      nullable || w.op === '=' || w.op === '!=',
      'where',
      `'${w.prop}'`,
    );
    if (value.kind === 'literal' && value.value === null && w.op !== '=' && w.op !== '!=')
      this.error('TypeMismatch', 'null can only be compared with = or !=', w.value.pos);
    return { column, op: w.op, type, value };
  }
}
