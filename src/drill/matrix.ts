/**
 * The drill matrix: every failpoint × every writer × branch × one-table/multi-table
 * operation, enumerated from FAILPOINTS and WRITERS (never listed by hand). A dry pass
 * per combination counts the hits of each failpoint (every failpoint armed as delay:0);
 * a failpoint with no hits is not on that combination's path and is skipped with the
 * reason. Failpoints with several hits (per-table points) run at the first and the last hit.
 * Recovery failpoints crash the recovering process after the writer crashed at
 * `write.after_table_commit@1` (the point that leaves the most for recovery to do; the
 * second table's commit held back, see RECOVERY_PRE_CRASH).
 */
import { FAILPOINTS, HOLD_BACK_LATER_TABLE_COMMITS, type FailpointName } from '../failpoints.js';
import { BRANCHES, specOf, type CrashPoint, type DrillCase, type Workspace } from './harness.js';
import { MAINTENANCE_WRITERS, WRITERS, type DrillOp, type Writer } from './model.js';

export const SHAPES = ['one-table', 'multi-table'] as const;
export type Shape = (typeof SHAPES)[number];

/**
 * The writer's crash that precedes a recovery crash point. Phase B commits tables
 * concurrently, so the commits of every table after the first are held back (a delay at their start) to
 * leave exactly one table committed in a multi-table case.
 */
export const RECOVERY_PRE_CRASH: CrashPoint = {
  name: 'write.after_table_commit',
  hit: 1,
  with: HOLD_BACK_LATER_TABLE_COMMITS,
};
/** Armed with a write failpoint no plain run reaches: an `error` after Phase B forces the in-process rollback path. */
export const ROLLBACK_PROVOKER = 'write.before_publish=error';

/** A transaction: one table (Person) or all three. */
function txMatrixOp(writer: 'tx', multi: boolean): DrillOp {
  return multi
    ? {
        writer,
        inserts: [
          { type: 'Person', name: 'n1', data: { age: 7 } },
          { type: 'Company', name: 'nc1', data: { city: 'Rome' } },
        ],
        links: [{ from: 'n1', to: 'nc1', data: { since: 2024 } }],
        updates: [{ type: 'Company', name: 'c2', patch: { city: 'Lima' } }],
        deletes: [{ type: 'Person', name: 'p3' }],
      }
    : {
        writer,
        inserts: [{ type: 'Person', name: 'n1', data: { age: 7 } }],
        links: [],
        updates: [{ type: 'Person', name: 'p2', patch: { age: 43 } }],
        deletes: [{ type: 'Person', name: 'p4' }],
      };
}

/** A .gq mutation: drill_one (Person) or drill_multi (all three tables). */
function gqMatrixOp(writer: 'gq', multi: boolean): DrillOp {
  return multi
    ? {
        writer,
        query: 'drill_multi',
        params: { ins: 'n1', age: 7, co: 'nc1', city: 'Rome', upd: 'c2', del: 'p3' },
      }
    : {
        writer,
        query: 'drill_one',
        params: { ins: 'n1', age: 7, upd: 'p2', uage: 43, del: 'p4' },
      };
}

/** An append load: new persons, or a person, a company and their edge. */
function appendLoadMatrixOp(writer: 'load-append', multi: boolean): DrillOp {
  return multi
    ? {
        writer,
        nodes: [
          { type: 'Person', name: 'n1', data: { age: 7 } },
          { type: 'Company', name: 'nc1', data: { city: 'Rome' } },
        ],
        edges: [{ from: 'n1', to: 'nc1', data: { since: 2024 } }],
      }
    : {
        writer,
        nodes: [
          { type: 'Person', name: 'n1', data: { age: 7 } },
          { type: 'Person', name: 'n2', data: {} },
        ],
        edges: [],
      };
}

/** A merge load: a committed row replaced and a new one (and, multi-table, a company and edges). */
function mergeLoadMatrixOp(writer: 'load-merge', multi: boolean): DrillOp {
  return multi
    ? {
        writer,
        nodes: [
          { type: 'Person', name: 'p1', data: { age: 32 } },
          { type: 'Person', name: 'n1', data: {} },
          { type: 'Company', name: 'c1', data: { city: 'Bergen' } },
        ],
        edges: [
          { from: 'p1', to: 'c1', data: { since: 2021 } },
          { from: 'n1', to: 'c1', data: {} },
        ],
      }
    : {
        writer,
        nodes: [
          { type: 'Person', name: 'p1', data: { age: 32 } },
          { type: 'Person', name: 'n1', data: {} },
        ],
        edges: [],
      };
}

/**
 * A chunked append, one row per Lance commit: Person takes 3 commits
 * (write.after_chunk_commit@1 is "after chunk 1 of 3"), then the other tables
 * (write.after_table_commit between them).
 */
function chunkedAppendLoadMatrixOp(writer: 'load-chunked-append', multi: boolean): DrillOp {
  return {
    writer,
    nodes: [
      { type: 'Person', name: 'n1', data: { age: 7 } },
      { type: 'Person', name: 'n2', data: {} },
      { type: 'Person', name: 'n3', data: { age: 9 } },
      ...(multi ? [{ type: 'Company' as const, name: 'nc1', data: { city: 'Rome' } }] : []),
    ],
    edges: multi ? [{ from: 'n1', to: 'nc1', data: { since: 2024 } }] : [],
  };
}

/** A chunked merge: p1 twice (two chunks: the last line wins) and a committed edge's pair again. */
function chunkedMergeLoadMatrixOp(writer: 'load-chunked-merge', multi: boolean): DrillOp {
  return {
    writer,
    nodes: [
      { type: 'Person', name: 'p1', data: { age: 32 } },
      { type: 'Person', name: 'n1', data: {} },
      { type: 'Person', name: 'p1', data: { age: 33 } },
      ...(multi ? [{ type: 'Company' as const, name: 'c1', data: { city: 'Bergen' } }] : []),
    ],
    edges: multi
      ? [
          { from: 'p1', to: 'c1', data: { since: 2021 } },
          { from: 'n1', to: 'c1', data: {} },
        ]
      : [],
  };
}

/** The op builder of each writer: its operation in one shape (multi: the multi-table shape). */
const MATRIX_OP_BUILDERS: { [W in Writer]: (writer: W, multi: boolean) => DrillOp } = {
  optimize: (writer) => ({ writer }),
  cleanup: (writer) => ({ writer, keep: 1 }),
  tx: txMatrixOp,
  gq: gqMatrixOp,
  'load-append': appendLoadMatrixOp,
  'load-merge': mergeLoadMatrixOp,
  // one-table: Company's name BTREE and city inverted index (two commits, 'many');
  // multi-table: Person's name BTREE too (one commit, 'one').
  index: (writer, multi) => ({ writer, types: multi ? ['Person', 'Company'] : ['Company'] }),
  'load-chunked-append': chunkedAppendLoadMatrixOp,
  'load-chunked-merge': chunkedMergeLoadMatrixOp,
  // Main and feat are the seed, unchanged since the sources forked: a fast-forward.
  merge: (writer, multi) => ({ writer, source: multi ? 'drill-merge-multi' : 'drill-merge-one' }),
  'load-overwrite': overwriteOp,
  'load-chunked-overwrite': overwriteOp,
};

/** The operation of a writer in a shape, against the seed graph (model.ts seedModel). */
export function matrixOp<W extends Writer>(writer: W, shape: Shape): DrillOp {
  return MATRIX_OP_BUILDERS[writer](writer, shape === 'multi-table');
}

/** An overwrite load, plain or chunked, against the seed graph. */
function overwriteOp(writer: 'load-overwrite' | 'load-chunked-overwrite', multi: boolean): DrillOp {
  // Chunked (one row per Lance commit): the committed rows of a written table are
  // deleted one id per commit before the file's rows are appended, so
  // write.after_chunk_commit@1 is a crash after the first delete of Person.
  // one-table: p4 (no edges) disappears; multi-table: p3, p4 and c2 disappear and
  // the edge p3→c2 cascades out of WorksAt, which the file does not name.
  return multi
    ? {
        writer,
        nodes: [
          { type: 'Person', name: 'p1', data: { age: 31 } },
          { type: 'Person', name: 'p2', data: { age: 50 } },
          { type: 'Person', name: 'n1', data: {} },
          { type: 'Company', name: 'c1', data: { city: 'Oslo' } },
        ],
        edges: [],
      }
    : {
        writer,
        nodes: [
          { type: 'Person', name: 'p1', data: { age: 31 } },
          { type: 'Person', name: 'p2', data: { age: 42 } },
          { type: 'Person', name: 'p3', data: { age: 60 } },
        ],
        edges: [],
      };
}

/**
 * The operations of a matrix case: the writer's op, after (for maintenance writers)
 * two one-commit transactions that give the tables fragments to compact and versions
 * to clean up (in the tables of the shape).
 */
export function matrixOps(writer: Writer, shape: Shape): DrillOp[] {
  if (!MAINTENANCE_WRITERS.has(writer)) return [matrixOp(writer, shape)];
  const multi = shape === 'multi-table';
  const pre = (i: number): DrillOp => ({
    writer: 'tx',
    // Cleanup removes only versions older than the oldest kept one by more than its
    // cut-off margin (1 s): on main, the seed's versions then have something to lose.
    ...(writer === 'cleanup' && i === 1 ? { pauseMsBefore: 1500 } : {}),
    inserts: [
      { type: 'Person', name: `m${i}`, data: { age: i } },
      ...(multi ? [{ type: 'Company' as const, name: `mc${i}`, data: {} }] : []),
    ],
    links: [],
    updates: [],
    deletes: [],
  });
  return [pre(1), pre(2), matrixOp(writer, shape)];
}

export interface Combo {
  writer: Writer;
  branch: string;
  shape: Shape;
}
export interface Skipped {
  scenario: string;
  failpoint: FailpointName;
  reason: string;
}

export function scenarioOf(c: Combo): string {
  return `${c.writer}/${c.branch}/${c.shape}`;
}

export function combos(filter: { writer?: string } = {}): Combo[] {
  const out: Combo[] = [];
  for (const writer of WRITERS) {
    if (filter.writer && filter.writer !== writer) continue;
    for (const branch of BRANCHES) for (const shape of SHAPES) out.push({ writer, branch, shape });
  }
  return out;
}

const REASONS: Partial<Record<FailpointName, string>> = {
  'write.before_rollback_publish': 'only an in-process rollback reaches it',
  'recovery.after_restore': 'recovery restores nothing here (the pre-crash leaves a RollForward)',
};

function parseHits(lines: string[]): Record<string, number> | null {
  const l = lines.find((x) => x.startsWith('hits '));
  return l ? (JSON.parse(l.slice(5)) as Record<string, number>) : null;
}

function hitsToRun(hits: number): number[] {
  return [...new Set([1, hits])];
}

interface ComboCases {
  cases: DrillCase[];
  skipped: Skipped[];
}

/** A case of a combination, with id `<scenario>/<point>` (point: `<failpoint>@<hit>[+err]`). */
function comboCase(
  combo: Combo,
  ops: DrillOp[],
  point: string,
  crash: Pick<DrillCase, 'at' | 'recoveryAt'>,
): DrillCase {
  const scenario = scenarioOf(combo);
  return {
    id: `${scenario}/${point}`,
    scenario,
    branch: combo.branch,
    ops,
    ...crash,
  };
}

function skippedFailpoint(combo: Combo, failpoint: FailpointName, pass: string): Skipped {
  return {
    scenario: scenarioOf(combo),
    failpoint,
    reason: `0 hits in the ${pass}${REASONS[failpoint] ? `: ${REASONS[failpoint]}` : ''}`,
  };
}

/** A dry pass of the combination's ops on a fresh copy, `withSpec` armed: the hits of every write failpoint. */
async function writeDryPass(
  ws: Workspace,
  combo: Combo,
  ops: DrillOp[],
  withSpec: string,
): Promise<Record<string, number>> {
  const scenario = scenarioOf(combo);
  const dir = ws.copy(`dry-${scenario}`);
  try {
    const r = await ws.runChild({ mode: 'count', repo: dir, branch: combo.branch, ops }, withSpec);
    const hits = parseHits(r.lines);
    if (!hits)
      throw new Error(
        `dry pass of ${scenario} failed: ${r.lines.join(' | ')} ${r.stderr.slice(0, 500)}`,
      );
    return hits;
  } finally {
    ws.discard(dir);
  }
}

/**
 * The cases of the write failpoints: each hit in a plain dry pass runs at its first and
 * last hit; one that is not is retried with ROLLBACK_PROVOKER armed alongside, and skipped
 * when still not hit.
 */
async function enumerateWriteCases(
  ws: Workspace,
  combo: Combo,
  ops: DrillOp[],
  failpoints: FailpointName[],
): Promise<ComboCases> {
  const cases: DrillCase[] = [];
  const skipped: Skipped[] = [];
  const hits = await writeDryPass(ws, combo, ops, '');
  let provoked: Record<string, number> | null = null;
  for (const f of failpoints) {
    if ((hits[f] ?? 0) > 0) {
      for (const hit of hitsToRun(hits[f]))
        cases.push(comboCase(combo, ops, `${f}@${hit}`, { at: { name: f, hit } }));
      continue;
    }
    provoked ??= await writeDryPass(ws, combo, ops, ROLLBACK_PROVOKER);
    if ((provoked[f] ?? 0) > 0) {
      for (const hit of hitsToRun(provoked[f]))
        cases.push(
          comboCase(combo, ops, `${f}@${hit}+err`, {
            at: { name: f, hit, with: ROLLBACK_PROVOKER },
          }),
        );
    } else {
      skipped.push(skippedFailpoint(combo, f, 'dry pass'));
    }
  }
  return { cases, skipped };
}

/** The writer crashed at RECOVERY_PRE_CRASH on a fresh copy, then a recovery dry pass: the hits of every recovery failpoint. */
async function recoveryDryPass(
  ws: Workspace,
  combo: Combo,
  ops: DrillOp[],
): Promise<Record<string, number>> {
  const scenario = scenarioOf(combo);
  const dir = ws.copy(`dry-rec-${scenario}`);
  try {
    const crash = await ws.runChild(
      { mode: 'run', repo: dir, branch: combo.branch, ops },
      specOf(RECOVERY_PRE_CRASH),
    );
    if (crash.signal !== 'SIGKILL')
      throw new Error(
        `pre-crash of ${scenario} at ${specOf(RECOVERY_PRE_CRASH)} did not crash: ${crash.lines.join(' | ')}`,
      );
    const r = await ws.runChild({ mode: 'count-recover', repo: dir });
    const hits = parseHits(r.lines);
    if (!hits)
      throw new Error(
        `recovery dry pass of ${scenario} failed: ${r.lines.join(' | ')} ${r.stderr.slice(0, 500)}`,
      );
    return hits;
  } finally {
    ws.discard(dir);
  }
}

/** The cases of the recovery failpoints (each after RECOVERY_PRE_CRASH), at their first and last hit; the ones not hit skipped. */
async function enumerateRecoveryCases(
  ws: Workspace,
  combo: Combo,
  ops: DrillOp[],
  failpoints: FailpointName[],
): Promise<ComboCases> {
  const cases: DrillCase[] = [];
  const skipped: Skipped[] = [];
  const hits = await recoveryDryPass(ws, combo, ops);
  for (const f of failpoints) {
    if ((hits[f] ?? 0) === 0) {
      skipped.push(skippedFailpoint(combo, f, 'recovery dry pass'));
      continue;
    }
    for (const hit of hitsToRun(hits[f]))
      cases.push(
        comboCase(combo, ops, `${f}@${hit}`, {
          at: RECOVERY_PRE_CRASH,
          recoveryAt: { name: f, hit },
        }),
      );
  }
  return { cases, skipped };
}

/** Dry passes for one combination → its cases and its skipped failpoints (write failpoints first, then recovery's). */
export async function enumerateCombo(
  ws: Workspace,
  combo: Combo,
  only?: FailpointName,
): Promise<ComboCases> {
  const ops = matrixOps(combo.writer, combo.shape);
  const wanted = FAILPOINTS.filter((f) => !only || f === only);
  const writeFps = wanted.filter((f) => !f.startsWith('recovery.'));
  const recFps = wanted.filter((f) => f.startsWith('recovery.'));
  const none: ComboCases = { cases: [], skipped: [] };
  const write = writeFps.length ? await enumerateWriteCases(ws, combo, ops, writeFps) : none;
  const rec = recFps.length ? await enumerateRecoveryCases(ws, combo, ops, recFps) : none;
  return { cases: [...write.cases, ...rec.cases], skipped: [...write.skipped, ...rec.skipped] };
}
