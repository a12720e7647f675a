/**
 * The drill workload as data: a fixed schema, a reference model of the visible graph
 * (plain maps, independent of the engine) and operations of every writer, with the
 * model's own semantics of each writer (docs/writes.md, src/write/load/load.ts header).
 * The visible state of a repo is compared with the model through `export`: the model
 * renders the exact JSONL lines export writes.
 */

export const DRILL_SCHEMA = `node Person {
  name: String @key
  age: I32?
}
node Company {
  name: String @key
  city: String? @index
}
edge WorksAt: Person -> Company {
  since: I32?
}
`;

/** Every table of the drill schema, by type name. */
export const DRILL_TABLES = {
  Person: 'node:Person',
  Company: 'node:Company',
  WorksAt: 'edge:WorksAt',
} as const;
export type NodeType = 'Person' | 'Company';

export interface PersonData {
  age?: number;
}
export interface CompanyData {
  city?: string;
}
export interface EdgeData {
  since?: number;
}

/** The visible graph of one branch. Edges are keyed by (from, to): the workloads never create two edges of one pair. */
export interface Model {
  Person: Map<string, PersonData>;
  Company: Map<string, CompanyData>;
  WorksAt: Map<string, EdgeData>;
}

/**
 * The writers a drill exercises. `index`: an index build (`repo.ensureIndexes`) of the named
 * node types' tables; `optimize` / `cleanup`: maintenance; `load-chunked-*`: the same loads
 * through the chunked path, one row per Lance commit (docs/writes.md §Chunked loads);
 * `merge`: `repo.merge` of a template branch into the drill branch.
 */
export const WRITERS = [
  'tx',
  'gq',
  'load-append',
  'load-merge',
  'load-overwrite',
  'index',
  'optimize',
  'cleanup',
  'load-chunked-append',
  'load-chunked-merge',
  'load-chunked-overwrite',
  'merge',
] as const;
/** Writers that change no visible data (maintenance): the model stays as it was. */
export const MAINTENANCE_WRITERS: ReadonlySet<Writer> = new Set(['optimize', 'cleanup']);
export type Writer = (typeof WRITERS)[number];

export interface NodeRow {
  type: NodeType;
  name: string;
  data: PersonData | CompanyData;
}
export interface EdgeRow {
  from: string;
  to: string;
  data: EdgeData;
}

/** The operations of every writer: what it stages, in the writer's own terms. */
export type DrillOp =
  | {
      writer: 'tx';
      /** Wait this long first (the cleanup drill: makes the seed's versions older than cleanup's cut-off margin). */
      pauseMsBefore?: number;
      inserts: NodeRow[];
      links: EdgeRow[];
      updates: Array<{ type: NodeType; name: string; patch: PersonData | CompanyData }>;
      deletes: Array<{ type: NodeType; name: string }>;
    }
  | {
      writer: 'gq';
      query: 'drill_one';
      params: { ins: string; age: number; upd: string; uage: number; del: string };
    }
  | {
      writer: 'gq';
      query: 'drill_multi';
      params: { ins: string; age: number; co: string; city: string; upd: string; del: string };
    }
  | {
      writer:
        | 'load-append'
        | 'load-merge'
        | 'load-overwrite'
        | 'load-chunked-append'
        | 'load-chunked-merge'
        | 'load-chunked-overwrite';
      nodes: NodeRow[];
      edges: EdgeRow[];
    }
  | { writer: 'index'; types: NodeType[] }
  /** `lancelog optimize` of the drill branch. */
  | { writer: 'optimize' }
  /** `lancelog cleanup --keep <keep> --confirm` (main's tables, whatever the drill branch). */
  | { writer: 'cleanup'; keep: number }
  | { writer: 'merge'; source: MergeSource };

/**
 * The branches the merge writer merges from: created in the drill template from main
 * right after the seed, each with one transaction (one table / three tables changed).
 */
export const MERGE_SOURCES = {
  'drill-merge-one': {
    writer: 'tx',
    inserts: [{ type: 'Person', name: 'ms1', data: { age: 5 } }],
    links: [],
    updates: [{ type: 'Person', name: 'p2', patch: { age: 50 } }],
    deletes: [{ type: 'Person', name: 'p4' }],
  },
  'drill-merge-multi': {
    writer: 'tx',
    inserts: [
      { type: 'Person', name: 'ms1', data: { age: 5 } },
      { type: 'Company', name: 'msc1', data: { city: 'Pune' } },
    ],
    links: [{ from: 'ms1', to: 'msc1', data: { since: 2001 } }],
    updates: [
      { type: 'Person', name: 'p2', patch: { age: 50 } },
      { type: 'Company', name: 'c2', patch: { city: 'Lima' } },
    ],
    deletes: [{ type: 'Person', name: 'p4' }],
  },
} as const satisfies Record<string, Extract<DrillOp, { writer: 'tx' }>>;
export type MergeSource = keyof typeof MERGE_SOURCES;

/** The .gq file the mutation writer runs: mixed insert/update/delete in one query. */
export const DRILL_GQ = `query drill_one($ins: String, $age: I32, $upd: String, $uage: I32, $del: String) {
  insert Person { name: $ins, age: $age }
  update Person set { age: $uage } where name = $upd
  delete Person where name = $del
}
query drill_multi($ins: String, $age: I32, $co: String, $city: String, $upd: String, $del: String) {
  insert Person { name: $ins, age: $age }
  insert Company { name: $co, city: $city }
  insert WorksAt { from: $ins, to: $co, since: $age }
  update Company set { city: $city } where name = $upd
  delete Person where name = $del
}
`;

export const pairKey = (from: string, to: string): string => `${from}\u0000${to}`;
export const splitPair = (k: string): [string, string] => k.split('\u0000') as [string, string];

export function emptyModel(): Model {
  return { Person: new Map(), Company: new Map(), WorksAt: new Map() };
}

export function cloneModel(m: Model): Model {
  return {
    Person: new Map([...m.Person].map(([k, v]) => [k, { ...v }])),
    Company: new Map([...m.Company].map(([k, v]) => [k, { ...v }])),
    WorksAt: new Map([...m.WorksAt].map(([k, v]) => [k, { ...v }])),
  };
}

function clean<T extends object>(o: T): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out as T;
}

function deleteNode(m: Model, type: NodeType, name: string): void {
  if (!m[type].delete(name)) return;
  for (const k of [...m.WorksAt.keys()]) {
    const [from, to] = splitPair(k);
    if ((type === 'Person' && from === name) || (type === 'Company' && to === name))
      m.WorksAt.delete(k);
  }
}

/**
 * The three-way merge of a merge source into `ours` (base: the seed), row by row
 * (a drill row has one property, so row level is property level), or null when the
 * engine must refuse it: a row changed differently on both sides, or an edge whose
 * endpoint is gone from the merged graph.
 */
export function mergeModel(ours: Model, source: MergeSource): Model | null {
  const base = seedModel();
  const theirs = applyOp(base, MERGE_SOURCES[source]);
  const out = cloneModel(ours);
  for (const t of ['Person', 'Company', 'WorksAt'] as const) {
    const [b, o, th] = [base[t], ours[t], theirs[t]] as Array<Map<string, object>>;
    for (const k of new Set([...b.keys(), ...th.keys()])) {
      const [bv, ov, tv] = [b, o, th].map((x) => JSON.stringify(x.get(k)));
      if (tv === bv || ov === tv) continue;
      if (ov !== bv) return null;
      if (th.has(k)) (out[t] as Map<string, object>).set(k, { ...th.get(k)! });
      else out[t].delete(k);
    }
  }
  for (const k of out.WorksAt.keys()) {
    const [from, to] = splitPair(k);
    if (!out.Person.has(from) || !out.Company.has(to)) return null;
  }
  return out;
}

/** The model after `op` (the reference semantics of each writer). */
export function applyOp(before: Model, op: DrillOp): Model {
  if (op.writer === 'merge') return mergeModel(before, op.source) ?? cloneModel(before);
  const m = cloneModel(before);
  switch (op.writer) {
    // Index builds and maintenance change no row.
    case 'index':
    case 'optimize':
    case 'cleanup':
      return m;
    case 'tx':
      for (const r of op.inserts)
        (m[r.type] as Map<string, object>).set(r.name, clean({ ...r.data }));
      for (const l of op.links) m.WorksAt.set(pairKey(l.from, l.to), clean({ ...l.data }));
      for (const u of op.updates) {
        const cur = m[u.type].get(u.name);
        if (cur) (m[u.type] as Map<string, object>).set(u.name, clean({ ...cur, ...u.patch }));
      }
      for (const d of op.deletes) deleteNode(m, d.type, d.name);
      return m;
    case 'gq': {
      const p = op.params;
      m.Person.set(p.ins, { age: p.age });
      if (op.query === 'drill_one') {
        const q = op.params;
        const cur = m.Person.get(q.upd);
        if (cur) m.Person.set(q.upd, { ...cur, age: q.uage });
      } else {
        const q = op.params;
        m.Company.set(q.co, { city: q.city });
        m.WorksAt.set(pairKey(q.ins, q.co), { since: q.age });
        const cur = m.Company.get(q.upd);
        if (cur) m.Company.set(q.upd, { ...cur, city: q.city });
      }
      deleteNode(m, 'Person', p.del);
      return m;
    }
    case 'load-append':
    case 'load-merge':
    case 'load-chunked-append':
    case 'load-chunked-merge':
      // append: every key is new (the generator guarantees it), so both are "set".
      // merge: whole-row replace of nodes; edges merge by (from, to), replacing properties.
      for (const r of op.nodes)
        (m[r.type] as Map<string, object>).set(r.name, clean({ ...r.data }));
      for (const e of op.edges) m.WorksAt.set(pairKey(e.from, e.to), clean({ ...e.data }));
      return m;
    case 'load-overwrite':
    case 'load-chunked-overwrite': {
      const touched = new Set<string>([
        ...op.nodes.map((n) => n.type),
        ...(op.edges.length ? ['WorksAt'] : []),
      ]);
      for (const t of ['Person', 'Company'] as const) {
        if (!touched.has(t)) continue;
        const keep = new Set(op.nodes.filter((n) => n.type === t).map((n) => n.name));
        for (const name of [...m[t].keys()]) if (!keep.has(name)) deleteNode(m, t, name);
        m[t].clear();
      }
      if (touched.has('WorksAt')) m.WorksAt.clear();
      for (const r of op.nodes)
        (m[r.type] as Map<string, object>).set(r.name, clean({ ...r.data }));
      for (const e of op.edges) m.WorksAt.set(pairKey(e.from, e.to), clean({ ...e.data }));
      return m;
    }
  }
}

/** The tables an operation changes according to the model (I5 writes to each of them afterwards). */
export function touchedTables(before: Model, after: Model): string[] {
  const out: string[] = [];
  for (const t of ['Person', 'Company', 'WorksAt'] as const) {
    const a = before[t] as Map<string, object>;
    const b = after[t] as Map<string, object>;
    const same =
      a.size === b.size &&
      [...a].every(([k, v]) => b.has(k) && JSON.stringify(b.get(k)) === JSON.stringify(v));
    if (!same) out.push(DRILL_TABLES[t]);
  }
  return out.sort();
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The model as the JSONL lines `exportJsonl` writes (same order, same property order). */
export function renderModel(m: Model): string[] {
  const lines: string[] = [];
  for (const name of [...m.Person.keys()].sort(cmp)) {
    const d = m.Person.get(name)!;
    lines.push(JSON.stringify({ type: 'Person', data: clean({ name, age: d.age }) }));
  }
  for (const name of [...m.Company.keys()].sort(cmp)) {
    const d = m.Company.get(name)!;
    lines.push(JSON.stringify({ type: 'Company', data: clean({ name, city: d.city }) }));
  }
  const edges = [...m.WorksAt].map(([k, d]) => {
    const [from, to] = splitPair(k);
    return { from, to, data: JSON.stringify(clean({ since: d.since })) };
  });
  edges.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.data, b.data));
  for (const e of edges)
    lines.push(
      `{"edge":"WorksAt","from":${JSON.stringify(e.from)},"to":${JSON.stringify(e.to)},"data":${e.data}}`,
    );
  return lines;
}

/** The JSONL file a load op reads. */
export function loadText(op: Extract<DrillOp, { nodes: NodeRow[] }>): string {
  const lines = [
    ...op.nodes.map((n) =>
      JSON.stringify({ type: n.type, data: { name: n.name, ...clean({ ...n.data }) } }),
    ),
    ...op.edges.map((e) =>
      JSON.stringify({ edge: 'WorksAt', from: e.from, to: e.to, data: clean({ ...e.data }) }),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** A one-line description of an op, for reports. */
export function describeOp(op: DrillOp): string {
  switch (op.writer) {
    case 'tx':
      return `tx(+${op.inserts.length} ~${op.updates.length} -${op.deletes.length} link${op.links.length})`;
    case 'gq':
      return `gq ${op.query}`;
    case 'index':
      return `index(${op.types.join(',')})`;
    case 'optimize':
      return 'optimize';
    case 'cleanup':
      return `cleanup keep ${op.keep}`;
    case 'merge':
      return `merge ${op.source}`;
    default:
      return `${op.writer}(${op.nodes.length} nodes, ${op.edges.length} edges)`;
  }
}

/** The seed graph every drill repo starts from (the template). */
export function seedModel(): Model {
  const m = emptyModel();
  m.Person.set('p1', { age: 31 });
  m.Person.set('p2', { age: 42 });
  m.Person.set('p3', {});
  m.Person.set('p4', { age: 19 });
  m.Company.set('c1', { city: 'Oslo' });
  m.Company.set('c2', {});
  m.WorksAt.set(pairKey('p1', 'c1'), { since: 2020 });
  m.WorksAt.set(pairKey('p2', 'c1'), {});
  m.WorksAt.set(pairKey('p3', 'c2'), { since: 2011 });
  return m;
}
