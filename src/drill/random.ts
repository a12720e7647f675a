/**
 * Randomized drills: case K of seed S is generated from (S, K) alone by a small
 * seeded PRNG (mulberry32), so any case reproduces with `--seed S --case K`.
 * A case: a branch, 1–4 operations of random writers with random rows (always valid
 * against the model: the generator tracks the model as it goes), and a random crash
 * point (a write failpoint and hit count; 1 in 6 also crashes the recovery).
 */
import { FAILPOINTS, type FailpointName } from '../failpoints.js';
import { BRANCHES, type DrillCase } from './harness.js';
import {
  applyOp,
  mergeModel,
  seedModel,
  WRITERS,
  MAINTENANCE_WRITERS,
  type Writer,
  type DrillOp,
  type Model,
  type NodeRow,
  type EdgeRow,
  pairKey,
} from './model.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number, k: number) {
    this.next = mulberry32((seed * 2654435761) ^ (k * 40503) ^ 0x9e3779b9);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  subset<T>(xs: readonly T[], max: number): T[] {
    return xs.filter(() => this.chance(0.5)).slice(0, max);
  }
}

const WRITE_FPS = FAILPOINTS.filter(
  (f) =>
    f.startsWith('write.') &&
    f !== 'write.before_rollback' &&
    f !== 'write.before_rollback_publish',
);
const RECOVERY_FPS = FAILPOINTS.filter((f) => f.startsWith('recovery.'));
const PER_TABLE = new Set<FailpointName>([
  'write.before_table_commit',
  'write.after_table_commit',
  'write.after_chunk_commit',
]);

type RowWriter = Exclude<Writer, 'optimize' | 'cleanup'>;
type LoadWriter = Extract<DrillOp, { nodes: NodeRow[] }>['writer'];

// Maintenance writers run in the matrix (matrix.ts matrixOps), not in random batches.
const ROW_WRITERS = WRITERS.filter((w) => !MAINTENANCE_WRITERS.has(w)) as RowWriter[];

/** What an op builder draws from: the generator, the model so far, fresh names and random properties. */
interface OpContext {
  r: Rng;
  m: Model;
  /** Whether an earlier op of the case merged (one merge per case). */
  merged: boolean;
  persons: string[];
  companies: string[];
  /** A name no earlier op or case used: prefix, case, op and `i`. */
  fresh: (p: string, i: number) => string;
  age: () => { age?: number };
  city: () => { city?: string };
  since: () => { since?: number };
  /** Half the time, a WorksAt edge from a Person to a Company (committed or just added), never a pair that exists. */
  maybeLink: (added: NodeRow[]) => EdgeRow[];
}

function opContext(r: Rng, m: Model, k: number, j: number, merged: boolean): OpContext {
  const persons = [...m.Person.keys()];
  const companies = [...m.Company.keys()];
  const since = (): { since?: number } => (r.chance(0.6) ? { since: r.int(1990, 2030) } : {});
  const maybeLink = (added: NodeRow[]): EdgeRow[] => {
    const allP = [...persons, ...added.filter((x) => x.type === 'Person').map((x) => x.name)];
    const allC = [...companies, ...added.filter((x) => x.type === 'Company').map((x) => x.name)];
    if (!allP.length || !allC.length || !r.chance(0.5)) return [];
    const from = r.pick(allP);
    const to = r.pick(allC);
    return m.WorksAt.has(pairKey(from, to)) ? [] : [{ from, to, data: since() }];
  };
  return {
    r,
    m,
    merged,
    persons,
    companies,
    fresh: (p, i) => `${p}${k}_${j}_${i}`,
    age: () => (r.chance(0.7) ? { age: r.int(0, 99) } : {}),
    city: () => (r.chance(0.7) ? { city: r.pick(['Oslo', 'Rome', 'Lima', 'Pune']) } : {}),
    since,
    maybeLink,
  };
}

/**
 * A merge of one of the template's merge sources. One merge per case (a second one is
 * AlreadyUpToDate, which the seed-based model does not track), and only when it merges
 * cleanly (the engine refuses conflicts); otherwise a one-insert transaction.
 */
function mergeOp(g: OpContext): DrillOp {
  const source = g.r.pick(['drill-merge-one', 'drill-merge-multi'] as const);
  if (!g.merged && mergeModel(g.m, source) !== null) return { writer: 'merge', source };
  return {
    writer: 'tx',
    inserts: [{ type: 'Person', name: g.fresh('tp', 8), data: {} }],
    links: [],
    updates: [],
    deletes: [],
  };
}

/** A transaction: 0–2 new persons, maybe a company and a link, updates of up to 2 persons, maybe a delete. */
function txOp({ r, persons, companies, fresh, age, city, maybeLink }: OpContext): DrillOp {
  const inserts: NodeRow[] = [];
  for (let i = 0; i < r.int(0, 2); i++)
    inserts.push({ type: 'Person', name: fresh('tp', i), data: age() });
  if (r.chance(0.4)) inserts.push({ type: 'Company', name: fresh('tc', 0), data: city() });
  const links = maybeLink(inserts);
  const updates = r
    .subset(persons, 2)
    .map((name) => ({ type: 'Person' as const, name, patch: { age: r.int(0, 99) } }));
  const deletes =
    r.chance(0.4) && persons.length
      ? [{ type: r.chance(0.8) ? ('Person' as const) : ('Company' as const), name: '' }]
      : [];
  for (const d of deletes)
    d.name = d.type === 'Person' ? r.pick(persons) : companies.length ? r.pick(companies) : '';
  const op: DrillOp = {
    writer: 'tx',
    inserts,
    links,
    updates: updates.filter((u) => !deletes.some((d) => d.name === u.name)),
    deletes: deletes.filter(
      (d) => d.name !== '' && !links.some((l) => l.from === d.name || l.to === d.name),
    ),
  };
  if (!op.inserts.length && !op.links.length && !op.updates.length && !op.deletes.length)
    op.inserts.push({ type: 'Person', name: fresh('tp', 9), data: {} });
  return op;
}

/**
 * Upserts: 1–2 new persons (their keys absent at the pin: the append path), maybe a
 * new company, maybe an existing person (then that table merges), maybe a link.
 */
function txUpsertOp({ r, persons, fresh, age, city, maybeLink }: OpContext): DrillOp {
  const upserts: NodeRow[] = [];
  for (let i = 0; i < r.int(1, 2); i++)
    upserts.push({ type: 'Person', name: fresh('up', i), data: age() });
  if (r.chance(0.4)) upserts.push({ type: 'Company', name: fresh('uc', 0), data: city() });
  if (persons.length && r.chance(0.3))
    upserts.push({ type: 'Person', name: r.pick(persons), data: age() });
  return { writer: 'tx-upsert', upserts, links: maybeLink(upserts) };
}

/** A .gq mutation: drill_one (Person only) or drill_multi (all three tables), half the time each. */
function gqOp({ r, persons, companies, fresh }: OpContext): DrillOp {
  const ins = fresh('gp', 0);
  if (r.chance(0.5)) {
    return {
      writer: 'gq',
      query: 'drill_one',
      params: {
        ins,
        age: r.int(0, 99),
        upd: persons.length ? r.pick(persons) : 'nobody',
        uage: r.int(0, 99),
        del: persons.length && r.chance(0.6) ? r.pick(persons) : 'nobody',
      },
    };
  }
  return {
    writer: 'gq',
    query: 'drill_multi',
    params: {
      ins,
      age: r.int(0, 99),
      co: fresh('gc', 0),
      city: r.pick(['Oslo', 'Rome']),
      upd: companies.length ? r.pick(companies) : 'none',
      del: persons.length && r.chance(0.6) ? r.pick(persons) : 'nobody',
    },
  };
}

/** An append load: 1–3 new nodes, maybe a link to them. */
function appendLoadOp({ r, fresh, age, city, maybeLink }: OpContext, writer: LoadWriter): DrillOp {
  const nodes: NodeRow[] = [];
  for (let i = 0; i < r.int(1, 3); i++)
    nodes.push(
      r.chance(0.7)
        ? { type: 'Person', name: fresh('ap', i), data: age() }
        : { type: 'Company', name: fresh('ac', i), data: city() },
    );
  return { writer, nodes, edges: maybeLink(nodes) };
}

/** A merge load: existing and new rows replaced whole, maybe an edge (new or existing pair). */
function mergeLoadOp(
  { r, persons, companies, fresh, age, city, since }: OpContext,
  writer: LoadWriter,
): DrillOp {
  const nodes: NodeRow[] = [];
  for (const name of r.subset(persons, 2)) nodes.push({ type: 'Person', name, data: age() });
  if (r.chance(0.5)) nodes.push({ type: 'Person', name: fresh('mp', 0), data: age() });
  if (companies.length && r.chance(0.4))
    nodes.push({ type: 'Company', name: r.pick(companies), data: city() });
  const allP = [...persons, ...nodes.filter((x) => x.type === 'Person').map((x) => x.name)];
  const edges: EdgeRow[] = [];
  if (allP.length && companies.length && r.chance(0.5))
    edges.push({ from: r.pick(allP), to: r.pick(companies), data: since() });
  if (!nodes.length && !edges.length)
    nodes.push({ type: 'Person', name: fresh('mp', 1), data: {} });
  return { writer, nodes, edges };
}

/** An index build: builds what is missing or stale (nothing at all when every index is current). */
function indexOp({ r }: OpContext): DrillOp {
  return { writer: 'index', types: r.chance(0.5) ? ['Company'] : ['Person', 'Company'] };
}

/** An overwrite load's nodes: replace Person or Company (or both); keep some rows, add some. */
function overwriteLoadOp(
  { r, persons, companies, fresh, age, city }: OpContext,
  writer: LoadWriter,
): DrillOp {
  const nodes: NodeRow[] = [];
  const doP = r.chance(0.6);
  const doC = !doP || r.chance(0.4);
  if (doP) {
    for (const name of persons)
      if (r.chance(0.7)) nodes.push({ type: 'Person', name, data: age() });
    if (r.chance(0.5) || !nodes.length)
      nodes.push({ type: 'Person', name: fresh('op', 0), data: age() });
  }
  if (doC) {
    for (const name of companies)
      if (r.chance(0.7)) nodes.push({ type: 'Company', name, data: city() });
    if (r.chance(0.5) || !nodes.some((n) => n.type === 'Company'))
      nodes.push({ type: 'Company', name: fresh('oc', 0), data: city() });
  }
  return { writer, nodes, edges: [] };
}

/** The op builder of each writer a random case draws from. */
const OP_BUILDERS: { [W in RowWriter]: (g: OpContext, writer: W) => DrillOp } = {
  tx: txOp,
  'tx-upsert': txUpsertOp,
  gq: gqOp,
  'load-append': appendLoadOp,
  'load-chunked-append': appendLoadOp,
  'load-merge': mergeLoadOp,
  'load-chunked-merge': mergeLoadOp,
  'load-overwrite': overwriteLoadOp,
  'load-chunked-overwrite': overwriteLoadOp,
  index: indexOp,
  merge: mergeOp,
};

function buildOp<W extends RowWriter>(writer: W, g: OpContext): DrillOp {
  return OP_BUILDERS[writer](g, writer);
}

/** Op `j` of case `k`: a random writer (never maintenance), with rows valid against the model `m`. */
function genOp(r: Rng, m: Model, k: number, j: number, merged: boolean): DrillOp {
  const writer = r.pick(ROW_WRITERS);
  return buildOp(writer, opContext(r, m, k, j, merged));
}

export function generateCase(seed: number, k: number): DrillCase {
  const r = new Rng(seed, k);
  const branch = r.pick(BRANCHES);
  const n = r.int(1, 4);
  const ops: DrillOp[] = [];
  let m = seedModel();
  for (let j = 0; j < n; j++) {
    const op = genOp(
      r,
      m,
      k,
      j,
      ops.some((o) => o.writer === 'merge'),
    );
    ops.push(op);
    m = applyOp(m, op);
  }
  const picked = r.pick(WRITE_FPS);
  // Only chunked loads reach write.after_chunk_commit: without one, crash between tables.
  const name =
    picked === 'write.after_chunk_commit' && !ops.some((o) => o.writer.startsWith('load-chunked-'))
      ? 'write.after_table_commit'
      : picked;
  const hit = r.int(1, PER_TABLE.has(name) ? n * 2 : n);
  const recovery = r.chance(1 / 6) ? { name: r.pick(RECOVERY_FPS), hit: 1 } : undefined;
  const id = `seed ${seed} case ${k}`;
  return {
    id,
    scenario: `random ${ops.map((o) => o.writer).join(',')} on ${branch}`,
    branch,
    ops,
    at: { name, hit },
    ...(recovery ? { recoveryAt: recovery } : {}),
  };
}

export function reproCommand(seed: number, k: number): string {
  return `npm run drill -- --seed ${seed} --cases ${k + 1} --case ${k}`;
}
