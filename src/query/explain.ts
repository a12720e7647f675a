/** Printing plans: `explain` (human text, deterministic) and `planToJSON` (plain JSON data). */
import type {
  Assignment,
  IrExpr,
  MutationOp,
  ParamInfo,
  Predicate,
  QueryPlan,
  QueryValue,
  ReadOp,
  ValueExpr,
} from './types.js';
import { valueTypeText } from './values.js';

function valueText(v: QueryValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `blob(${v.length} bytes)`;
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  return String(v);
}

export function exprText(e: IrExpr): string {
  switch (e.kind) {
    case 'var':
      return `$${e.var}`;
    case 'prop':
      return `$${e.var}.${e.prop}`;
    case 'param':
      return `$${e.name}`;
    case 'literal':
      return valueText(e.value);
    case 'list':
      return `[${e.items.map(exprText).join(', ')}]`;
    case 'now':
      return 'now()';
    case 'compare':
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'call':
      return `${e.fn}(${e.args.map(exprText).join(', ')})`;
    case 'aggregate':
      return `${e.fn}(${exprText(e.arg)})`;
    case 'column':
      return `#${e.name}`;
  }
}

function valueExprText(v: ValueExpr): string {
  if (v.kind === 'param') return `$${v.name}`;
  if (v.kind === 'now') return 'now()';
  return valueText(v.value);
}

function paramsText(params: ParamInfo[]): string {
  return params
    .map((p) => `$${p.name}: ${valueTypeText(p.type)}${p.optional ? '?' : ''}`)
    .join(', ');
}

function readOpLines(op: ReadOp, indent: string): string[] {
  switch (op.op) {
    case 'scan':
      return [
        `${indent}scan $${op.var}: ${op.nodeType} [${op.tableKey}]${op.where.length ? ` where ${op.where.map(exprText).join(' and ')}` : ''}`,
      ];
    case 'expand': {
      const edge = op.edgeVar === null ? op.edge : `$${op.edgeVar}:${op.edge}`;
      const arrow =
        op.direction === 'out'
          ? `-[${edge}]->`
          : op.direction === 'in'
            ? `<-[${edge}]-`
            : `-[${edge}]-`;
      const hops =
        op.minHops === 1 && op.maxHops === 1 ? '' : ` hops ${op.minHops}..${op.maxHops ?? '*'}`;
      return [
        `${indent}expand $${op.from} ${arrow} $${op.to}: ${op.toType} [${op.edgeTableKey}]${hops}${op.into ? ' into' : ''}`,
      ];
    }
    case 'filter':
      return [`${indent}filter ${exprText(op.predicate)}`];
    case 'anti_join':
      return [
        `${indent}anti_join on ${op.correlated.map((v) => `$${v}`).join(', ') || '(nothing)'}`,
        ...op.ops.flatMap((o) => readOpLines(o, `${indent}  `)),
      ];
    case 'aggregate':
      return [
        `${indent}aggregate keys [${op.keys.map((k) => `${k.name} = ${exprText(k.expr)}`).join(', ')}] aggregates [${op.aggregates.map((a) => `${a.name} = ${exprText(a.expr)}`).join(', ')}]`,
      ];
    case 'order':
      return [
        `${indent}order ${op.keys.map((k) => `${exprText(k.expr)} ${k.direction}`).join(', ')}`,
      ];
    case 'limit':
      return [`${indent}limit ${op.count}`];
    case 'project':
      return [
        `${indent}project ${op.columns.map((c) => (exprText(c.expr) === `#${c.name}` || exprText(c.expr) === `$${c.name}` ? c.name : `${c.name} = ${exprText(c.expr)}`)).join(', ')}`,
      ];
  }
}

function assignText(a: Assignment[]): string {
  return `{ ${a.map((x) => `${x.property} = ${valueExprText(x.value)}`).join(', ')} }`;
}

function predText(p: Predicate[]): string {
  return p.map((x) => `${x.column} ${x.op} ${valueExprText(x.value)}`).join(' and ');
}

function mutationOpLine(op: MutationOp, i: number): string {
  const n = `  ${i + 1}. `;
  switch (op.op) {
    case 'insert_node':
      return `${n}insert_node ${op.nodeType} [${op.tableKey}] ${assignText(op.values)}`;
    case 'insert_edge':
      return `${n}insert_edge ${op.edgeType} [${op.tableKey}] from ${op.fromType} ${valueExprText(op.from)} to ${op.toType} ${valueExprText(op.to)}${op.values.length ? ` ${assignText(op.values)}` : ''}`;
    case 'update':
      return `${n}update ${op.target} ${op.typeName} [${op.tableKey}] set ${assignText(op.set)} where ${predText(op.where)}`;
    case 'delete':
      return `${n}delete ${op.target} ${op.typeName} [${op.tableKey}] where ${predText(op.where)}${op.cascade.length ? ` cascade ${op.cascade.map((c) => `${c.edgeType}(${c.side})`).join(', ')}` : ''}`;
  }
}

/** The deterministic text form of a plan (`lancelog query explain`). */
export function explain(plan: QueryPlan): string {
  const head = `query ${plan.name}(${paramsText(plan.params)}) ${plan.kind}`;
  if (plan.kind === 'read') {
    return [
      head,
      ...plan.ops.flatMap((o) => readOpLines(o, '  ')),
      `  columns ${plan.columns.map((c) => `${c.name}: ${valueTypeText(c.type)}`).join(', ')}`,
    ].join('\n');
  }
  return [head, ...plan.ops.map(mutationOpLine)].join('\n');
}

/** The plan as plain JSON data: bigint → decimal string, Uint8Array → base64 string. */
export function planToJSON(plan: QueryPlan): unknown {
  return JSON.parse(
    JSON.stringify(plan, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      return v;
    }),
  );
}
