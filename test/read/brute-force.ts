/**
 * A brute-force model of `.gq` read semantics (issue 13 §4, taken literally), for the
 * property test: random small graphs, random read queries as a tiny AST printed to
 * `.gq` text, and an evaluator that enumerates every assignment of every variable.
 * Independent of the executor: it shares no code with src/ (only the schema text).
 */
export const MODEL_PG = `node P {
  name: String @key
  age: I32?
  tag: String?
  tags: [String]?
}
node C {
  name: String @key
  size: I32?
}
edge Knows: P -> P { w: I32? }
edge Visits: P -> C
`;

type NodeType = 'P' | 'C';
type Scalar = string | number | null;
type Value = Scalar | string[];
export interface GNode {
  type: NodeType;
  name: string;
  props: Record<string, Value>;
}
export interface Graph {
  nodes: GNode[];
  knows: Array<[string, string, number | null]>;
  visits: Array<[string, string]>;
}

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'starts_with';
export type Clause =
  | { k: 'bind'; v: string; type: NodeType; match?: { prop: string; lit: Scalar } }
  | {
      k: 'trav';
      a: string;
      edge: 'knows' | 'visits';
      b: string;
      hops?: [number, number];
      /** `$a <knows> $b`: either direction. */
      und?: boolean;
      /** `$a $w:knows $b`: the Knows edge bound to `ev` (an index into `Graph.knows`). */
      ev?: string;
    }
  /** `$v.prop op lit`, or with `flip` `lit op $v.prop` (positional string predicates). */
  | { k: 'filter'; v: string; prop: string; op: Op; lit: Scalar; flip?: boolean }
  | { k: 'not'; clauses: Clause[] };
export type Expr =
  | { k: 'prop'; v: string; prop: string }
  | { k: 'agg'; fn: 'count' | 'sum' | 'avg' | 'min' | 'max'; v: string; prop?: string };
export interface Query {
  vars: Record<string, NodeType>;
  /** Edge variables (bound to Knows edges by `$a $w:knows $b`); `vars` are nodes only. */
  evars?: string[];
  clauses: Clause[];
  ret: Array<{ e: Expr; alias?: string }>;
  order: Array<{ col: number; dir?: 'asc' | 'desc' }>;
  limit?: number;
}

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: () => number, p: number): boolean => r() < p;
const int = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1));

export function genGraph(seed: number): Graph {
  const r = prng(seed);
  const nodes: GNode[] = [];
  const nP = int(r, 1, 6);
  const nC = int(r, 0, 3);
  for (let i = 0; i < nP; i++)
    nodes.push({
      type: 'P',
      name: `p${i}`,
      props: {
        age: chance(r, 0.25) ? null : int(r, 0, 5),
        tag: chance(r, 0.3) ? null : pick(r, ['a', 'b', 'ab', '', 'A_b', '%a']),
        tags: chance(r, 0.3) ? null : ['x', 'y', 'z'].filter(() => chance(r, 0.5)),
      },
    });
  for (let i = 0; i < nC; i++)
    nodes.push({ type: 'C', name: `c${i}`, props: { size: chance(r, 0.3) ? null : int(r, 0, 3) } });
  const knows: Graph['knows'] = [];
  for (let i = int(r, 0, 10); i > 0; i--)
    knows.push([
      `p${int(r, 0, nP - 1)}`,
      `p${int(r, 0, nP - 1)}`,
      chance(r, 0.3) ? null : int(r, 0, 3),
    ]);
  const visits: Graph['visits'] = [];
  if (nC > 0)
    for (let i = int(r, 0, 6); i > 0; i--)
      visits.push([`p${int(r, 0, nP - 1)}`, `c${int(r, 0, nC - 1)}`]);
  return { nodes, knows, visits };
}

const PROPS: Record<NodeType, string[]> = {
  P: ['name', 'age', 'tag', 'tags'],
  C: ['name', 'size'],
};

function genFilter(r: () => number, v: string, type: NodeType): Clause {
  const prop = pick(r, PROPS[type]);
  if (prop === 'tags') return { k: 'filter', v, prop, op: 'contains', lit: pick(r, ['x', 'y']) };
  if (prop === 'tag' || prop === 'name') {
    const op = pick(r, ['=', '!=', '<', '>=', 'contains', 'starts_with'] as const);
    if ((op === '=' || op === '!=') && chance(r, 0.3))
      return { k: 'filter', v, prop, op, lit: null };
    // Positional: the literal is the haystack (`"p1p3" contains $a.name`).
    if ((op === 'contains' || op === 'starts_with') && chance(r, 0.3))
      return { k: 'filter', v, prop, op, lit: pick(r, ['p1p3', 'ab', 'A_b%a', 'c0']), flip: true };
    const lit =
      prop === 'name'
        ? pick(r, ['p1', 'p3', 'c1', 'p', '1', ''])
        : pick(r, ['a', 'b', 'ab', '', '_', '%', 'A']);
    return { k: 'filter', v, prop, op, lit };
  }
  const op = pick(r, ['=', '!=', '<', '<=', '>', '>='] as const);
  if ((op === '=' || op === '!=') && chance(r, 0.3)) return { k: 'filter', v, prop, op, lit: null };
  return { k: 'filter', v, prop, op, lit: int(r, 0, 5) };
}

function genMatch(r: () => number, type: NodeType): { prop: string; lit: Scalar } | undefined {
  if (!chance(r, 0.35)) return undefined;
  if (type === 'C')
    return chance(r, 0.5) ? { prop: 'size', lit: int(r, 0, 3) } : { prop: 'name', lit: 'c0' };
  return pick(r, [
    { prop: 'name', lit: pick(r, ['p0', 'p1', 'p2']) },
    { prop: 'age', lit: int(r, 0, 5) },
    { prop: 'tags', lit: pick(r, ['x', 'y']) },
  ]);
}

function genHops(r: () => number): [number, number] | undefined {
  if (chance(r, 0.5)) return undefined;
  const min = int(r, 1, 2);
  return [min, int(r, min, 3)];
}

/** One traversal from a bound variable to a new one (or between two bound ones). */
function genTraversal(r: () => number, q: Query, fresh: () => string): void {
  const ps = Object.keys(q.vars).filter((v) => q.vars[v] === 'P');
  const cs = Object.keys(q.vars).filter((v) => q.vars[v] === 'C');
  if (ps.length === 0) {
    // From a C: who visits it, written forward or in the reverse form.
    const p = fresh();
    q.vars[p] = 'P';
    const c = pick(r, cs);
    if (chance(r, 0.5)) q.clauses.push({ k: 'trav', a: p, edge: 'visits', b: c });
    else
      q.clauses.push(
        { k: 'bind', v: p, type: 'P', match: genMatch(r, 'P') },
        { k: 'trav', a: c, edge: 'visits', b: p },
      );
    return;
  }
  const x = pick(r, ps);
  const kind = pick(r, [
    'out',
    'out',
    'in',
    'visits',
    'visits-rev',
    'into',
    'und',
    'edge',
  ] as const);
  if (kind === 'into' && ps.length >= 2) {
    const y = pick(
      r,
      ps.filter((p) => p !== x),
    );
    q.clauses.push({ k: 'trav', a: x, edge: 'knows', b: y, hops: genHops(r), und: chance(r, 0.3) });
    return;
  }
  if (kind === 'edge') return genEdgeBinding(r, q, x, fresh);
  if (kind === 'visits' || kind === 'visits-rev') {
    const c = fresh();
    q.vars[c] = 'C';
    if (kind === 'visits') q.clauses.push({ k: 'trav', a: x, edge: 'visits', b: c });
    else
      q.clauses.push(
        { k: 'bind', v: c, type: 'C', match: genMatch(r, 'C') },
        { k: 'trav', a: c, edge: 'visits', b: x },
      );
    return;
  }
  const y = fresh();
  q.vars[y] = 'P';
  if (chance(r, 0.3)) q.clauses.push({ k: 'bind', v: y, type: 'P', match: genMatch(r, 'P') });
  if (kind === 'in') q.clauses.push({ k: 'trav', a: y, edge: 'knows', b: x, hops: genHops(r) });
  else
    q.clauses.push({ k: 'trav', a: x, edge: 'knows', b: y, hops: genHops(r), und: kind === 'und' });
}

/** `$x $w:knows $y` (or `<knows>`), into a bound or a new `$y`, sometimes with a filter on `$w.w`. */
function genEdgeBinding(r: () => number, q: Query, x: string, fresh: () => string): void {
  const ps = Object.keys(q.vars).filter((v) => q.vars[v] === 'P');
  let y: string;
  if (ps.length >= 2 && chance(r, 0.3))
    y = pick(
      r,
      ps.filter((p) => p !== x),
    );
  else q.vars[(y = fresh())] = 'P';
  const ev = `e${(q.evars ??= []).length + 1}`;
  q.evars.push(ev);
  q.clauses.push({ k: 'trav', a: x, edge: 'knows', b: y, und: chance(r, 0.4), ev });
  if (chance(r, 0.5))
    q.clauses.push({
      k: 'filter',
      v: ev,
      prop: 'w',
      op: pick(r, ['=', '!=', '<', '>='] as const),
      lit: int(r, 0, 3),
    });
}

function genNot(r: () => number, q: Query): Clause | null {
  const ps = Object.keys(q.vars).filter((v) => q.vars[v] === 'P');
  if (ps.length === 0) return null;
  const x = pick(r, ps);
  switch (int(r, 0, 3)) {
    case 0:
      return {
        k: 'not',
        clauses: [{ k: 'trav', a: x, edge: 'knows', b: '_', und: chance(r, 0.5) }],
      };
    case 1:
      return { k: 'not', clauses: [{ k: 'trav', a: x, edge: 'visits', b: '_' }] };
    case 2:
      return {
        k: 'not',
        clauses: [
          { k: 'trav', a: x, edge: 'knows', b: 'w', hops: genHops(r) },
          genFilter(r, 'w', 'P'),
        ],
      };
    default:
      return { k: 'not', clauses: [{ k: 'trav', a: 'w', edge: 'knows', b: x }] };
  }
}

function genReturn(r: () => number, q: Query): void {
  const vars = [...Object.keys(q.vars), ...(q.evars ?? [])];
  const isEdge = (v: string): boolean => !(v in q.vars);
  const propOf = (v: string): Expr => ({
    k: 'prop',
    v,
    prop: isEdge(v)
      ? 'w'
      : pick(
          r,
          PROPS[q.vars[v]].filter((p) => p !== 'tags'),
        ),
  });
  const seen = new Set<string>();
  const add = (e: Expr, alias?: string): void => {
    const key = alias ?? exprText(e);
    if (seen.has(key)) return;
    seen.add(key);
    q.ret.push({ e, alias });
  };
  if (chance(r, 0.5)) {
    for (let i = int(r, 1, 3); i > 0; i--) add(propOf(pick(r, vars)));
  } else {
    if (chance(r, 0.6)) add(propOf(pick(r, vars)));
    for (let i = int(r, 1, 2); i > 0; i--) {
      const v = pick(r, vars);
      const numeric = isEdge(v) ? 'w' : q.vars[v] === 'P' ? 'age' : 'size';
      const fn = pick(r, ['count', 'count', 'sum', 'avg', 'min', 'max'] as const);
      // An edge variable is never used bare (count($w) is refused): count($w.w).
      const prop = isEdge(v)
        ? 'w'
        : fn === 'count'
          ? chance(r, 0.5)
            ? undefined
            : numeric
          : fn === 'min' && chance(r, 0.3)
            ? 'name'
            : numeric;
      add({ k: 'agg', fn, v, prop }, `g${q.ret.length}`);
    }
  }
  if (chance(r, 0.5))
    for (let i = int(r, 1, 2); i > 0; i--) {
      const col = int(r, 0, q.ret.length - 1);
      if (!q.order.some((o) => o.col === col))
        q.order.push({ col, dir: pick(r, ['asc', 'desc', undefined]) });
    }
  if (chance(r, 0.3)) q.limit = int(r, 1, 4);
}

export function genQuery(seed: number): Query {
  const r = prng(seed);
  let n = 0;
  const fresh = (): string => `v${++n}`;
  const startType: NodeType = chance(r, 0.8) ? 'P' : 'C';
  const q: Query = { vars: { a: startType }, clauses: [], ret: [], order: [] };
  q.clauses.push({ k: 'bind', v: 'a', type: startType, match: genMatch(r, startType) });
  for (let i = int(r, 0, 2); i > 0; i--) genTraversal(r, q, fresh);
  for (let i = int(r, 0, 2); i > 0; i--) {
    const v = pick(r, Object.keys(q.vars));
    q.clauses.push(genFilter(r, v, q.vars[v]));
  }
  if (chance(r, 0.25)) {
    const c = genNot(r, q);
    if (c) q.clauses.push(c);
  }
  genReturn(r, q);
  return q;
}

// ── printing ─────────────────────────────────────────────────────────────────

function litText(l: Scalar): string {
  return l === null ? 'null' : typeof l === 'string' ? JSON.stringify(l) : String(l);
}

export function exprText(e: Expr): string {
  if (e.k === 'prop') return `$${e.v}.${e.prop}`;
  return `${e.fn}($${e.v}${e.prop ? `.${e.prop}` : ''})`;
}

function clauseText(c: Clause): string {
  switch (c.k) {
    case 'bind':
      return `$${c.v}: ${c.type}${c.match ? ` { ${c.match.prop}: ${litText(c.match.lit)} }` : ''}`;
    case 'trav': {
      const edge = `${c.ev ? `$${c.ev}:` : ''}${c.und ? `<${c.edge}>` : c.edge}`;
      return `$${c.a} ${edge}${c.hops ? `{${c.hops[0]},${c.hops[1]}}` : ''} $${c.b}`;
    }
    case 'filter':
      return c.flip
        ? `${litText(c.lit)} ${c.op} $${c.v}.${c.prop}`
        : `$${c.v}.${c.prop} ${c.op} ${litText(c.lit)}`;
    case 'not':
      return `not { ${c.clauses.map(clauseText).join('\n    ')} }`;
  }
}

export function queryText(q: Query, name = 'q'): string {
  const ret = q.ret.map((x) => `${exprText(x.e)}${x.alias ? ` as ${x.alias}` : ''}`);
  const order = q.order.map((o) => {
    const item = q.ret[o.col];
    return `${item.alias ?? exprText(item.e)}${o.dir ? ` ${o.dir}` : ''}`;
  });
  return [
    `query ${name}() {`,
    '  match {',
    ...q.clauses.map((c) => `    ${clauseText(c)}`),
    '  }',
    `  return { ${ret.join(', ')} }`,
    ...(order.length ? [`  order { ${order.join(', ')} }`] : []),
    ...(q.limit !== undefined ? [`  limit ${q.limit}`] : []),
    '}',
  ].join('\n');
}

/** The column names the language gives the return items (alias, else `v.prop`). */
export function columnNames(q: Query): string[] {
  return q.ret.map((x) => x.alias ?? exprText(x.e).replace(/^\$/, '').replace(/\(\$/, '('));
}

// ── evaluation ───────────────────────────────────────────────────────────────

/** A Knows edge bound to an edge variable: its index in `Graph.knows`. */
interface EdgeIx {
  edge: number;
}
type Assignment = Record<string, GNode | EdgeIx>;

class Model {
  readonly byType: Record<NodeType, GNode[]>;
  constructor(readonly g: Graph) {
    this.byType = {
      P: g.nodes.filter((n) => n.type === 'P'),
      C: g.nodes.filter((n) => n.type === 'C'),
    };
  }

  /**
   * Nodes whose shortest Knows distance from `src` (along the edges, or either way when
   * `undirected`) lies in [min, max]; never `src` itself.
   */
  reach(src: string, min: number, max: number, undirected = false): Set<string> {
    const dist = new Map<string, number>([[src, 0]]);
    let frontier = [src];
    for (let d = 1; d <= max && frontier.length; d++) {
      const next: string[] = [];
      for (const f of frontier)
        for (const [a, b] of this.g.knows)
          for (const [from, to] of undirected
            ? [
                [a, b],
                [b, a],
              ]
            : [[a, b]])
            if (from === f && !dist.has(to)) {
              dist.set(to, d);
              next.push(to);
            }
      frontier = next;
    }
    return new Set([...dist].filter(([n, d]) => n !== src && d >= min && d <= max).map(([n]) => n));
  }

  holds(c: Clause, asg: Assignment, types: Record<string, NodeType>): boolean {
    switch (c.k) {
      case 'bind': {
        if (!c.match) return true;
        const v = asg[c.v] as GNode;
        return matchValue(c.match.prop === 'name' ? v.name : v.props[c.match.prop], c.match);
      }
      case 'filter': {
        const v = this.value(asg[c.v], c.prop);
        return c.flip ? compare(c.lit, c.op, v as Scalar) : compare(v, c.op, c.lit);
      }
      case 'trav':
        return this.traverses(c, asg, types);
      case 'not': {
        const local: Record<string, NodeType> = {};
        const inner = c.clauses.map((x, i) =>
          x.k === 'trav' && x.b === '_' ? { ...x, b: `_${i}` } : x,
        );
        for (const x of inner)
          if (x.k === 'trav')
            for (const [v, end] of [
              [x.a, 'src'],
              [x.b, 'dst'],
            ] as const)
              if (!(v in asg)) local[v] = x.edge === 'knows' || end === 'src' ? 'P' : 'C';
        const ctx = { ...types, ...local };
        return !this.assignments(local, asg).some((ext) =>
          inner.every((x) => this.holds(x, ext, ctx)),
        );
      }
    }
  }

  private traverses(
    c: Extract<Clause, { k: 'trav' }>,
    asg: Assignment,
    types: Record<string, NodeType>,
  ): boolean {
    const a = (asg[c.a] as GNode).name;
    const b = (asg[c.b] as GNode).name;
    if (c.edge === 'knows') {
      if (c.ev === undefined)
        return this.reach(a, c.hops?.[0] ?? 1, c.hops?.[1] ?? 1, c.und).has(b);
      // One row per edge: this edge joins a to b (either way when undirected).
      const [s, d] = this.g.knows[(asg[c.ev] as EdgeIx).edge];
      return (s === a && d === b) || (!!c.und && s === b && d === a);
    }
    // Visits: P -> C; written with the C first, it is followed backwards.
    return types[c.a] === 'P'
      ? this.g.visits.some(([p, x]) => p === a && x === b)
      : this.g.visits.some(([p, x]) => p === b && x === a);
  }

  value(n: GNode | EdgeIx, prop: string): Value {
    if ('edge' in n) return this.g.knows[n.edge][2];
    return prop === 'name' ? n.name : n.props[prop];
  }

  /** Every assignment of `vars` (each over its type's nodes) and `evars` (over Knows edges), extending `base`. */
  assignments(
    vars: Record<string, NodeType>,
    base: Assignment = {},
    evars: string[] = [],
  ): Assignment[] {
    let out: Assignment[] = [base];
    for (const [v, t] of Object.entries(vars))
      out = out.flatMap((a) => this.byType[t].map((n) => ({ ...a, [v]: n })));
    for (const ev of evars)
      out = out.flatMap((a) => this.g.knows.map((_, edge) => ({ ...a, [ev]: { edge } })));
    return out;
  }
}

function matchValue(v: Value, m: { lit: Scalar }): boolean {
  return Array.isArray(v) ? m.lit !== null && v.includes(String(m.lit)) : compare(v, '=', m.lit);
}

/**
 * A comparison with null is false; `contains` is membership on a list, substring on a
 * string; `starts_with` a prefix; both exact and case-sensitive, positional.
 */
function compare(v: Value, op: Op, lit: Scalar): boolean {
  if (v === null || v === undefined || lit === null) return false;
  if (op === 'contains')
    return Array.isArray(v) ? v.includes(String(lit)) : String(v).includes(String(lit));
  if (op === 'starts_with') return String(v).startsWith(String(lit));
  if (Array.isArray(v)) return false;
  switch (op) {
    case '=':
      return v === lit;
    case '!=':
      return v !== lit;
    case '<':
      return v < lit;
    case '<=':
      return v <= lit;
    case '>':
      return v > lit;
    case '>=':
      return v >= lit;
  }
}

function aggregate(m: Model, e: Extract<Expr, { k: 'agg' }>, rows: Assignment[]): Scalar {
  const value = (r: Assignment): Scalar => m.value(r[e.v], e.prop!) as Scalar;
  if (e.fn === 'count') return e.prop ? rows.filter((r) => value(r) !== null).length : rows.length;
  const vals = rows.map(value).filter((x): x is string | number => x !== null);
  if (vals.length === 0) return null;
  if (e.fn === 'sum') return (vals as number[]).reduce((a, b) => a + b, 0);
  if (e.fn === 'avg') return (vals as number[]).reduce((a, b) => a + b, 0) / vals.length;
  return vals.reduce((a, b) => ((e.fn === 'min' ? b < a : b > a) ? b : a));
}

/** Asc puts nulls first, desc puts them last. */
export function compareForOrder(a: Scalar, b: Scalar, dir: 'asc' | 'desc' = 'asc'): number {
  const s = dir === 'desc' ? -1 : 1;
  if (a === null || b === null) return a === b ? 0 : (a === null ? -1 : 1) * s;
  return (a < b ? -1 : a > b ? 1 : 0) * s;
}

export function sortRows(q: Query, rows: Scalar[][]): Scalar[][] {
  return [...rows].sort((x, y) => {
    for (const o of q.order) {
      const c = compareForOrder(x[o.col], y[o.col], o.dir);
      if (c) return c;
    }
    return 0;
  });
}

/** The answer of `q` on `g`, in order (ties in arbitrary order), before `limit`. */
export function evaluate(g: Graph, q: Query): Scalar[][] {
  const m = new Model(g);
  const matches = m
    .assignments(q.vars, {}, q.evars)
    .filter((a) => q.clauses.every((c) => m.holds(c, a, q.vars)));
  const isAgg = q.ret.some((x) => x.e.k === 'agg');
  const cell = (a: Assignment, e: Expr): Scalar =>
    m.value(a[e.v], (e as { prop: string }).prop) as Scalar;
  let rows: Scalar[][];
  if (!isAgg) rows = matches.map((a) => q.ret.map((x) => cell(a, x.e)));
  else {
    const keys = q.ret.map((x, i) => (x.e.k === 'prop' ? i : -1)).filter((i) => i >= 0);
    const groups = new Map<string, Assignment[]>();
    for (const a of matches) {
      const key = JSON.stringify(keys.map((i) => cell(a, q.ret[i].e)));
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    if (keys.length === 0 && groups.size === 0) groups.set('[]', []);
    rows = [...groups.values()].map((grp) =>
      q.ret.map((x) => (x.e.k === 'agg' ? aggregate(m, x.e, grp) : cell(grp[0], x.e))),
    );
  }
  return sortRows(q, rows);
}
