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
import { runChild } from './spawn.js';
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

/** The operation of a writer in a shape, against the seed graph (model.ts seedModel). */
export function matrixOp(writer: Writer, shape: Shape): DrillOp {
  const multi = shape === 'multi-table';
  switch (writer) {
    case 'optimize':
      return { writer };
    case 'cleanup':
      return { writer, keep: 1 };
    case 'tx':
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
    case 'gq':
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
    case 'load-append':
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
    case 'load-merge':
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
    case 'index':
      // one-table: Company's name BTREE and city inverted index (two commits, 'many');
      // multi-table: Person's name BTREE too (one commit, 'one').
      return { writer, types: multi ? ['Person', 'Company'] : ['Company'] };
    case 'load-chunked-append':
      // One row per Lance commit: Person takes 3 commits (write.after_chunk_commit@1 is
      // "after chunk 1 of 3"), then the other tables (write.after_table_commit between them).
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
    case 'load-chunked-merge':
      // p1 twice (two chunks: the last line wins) and a committed edge's pair again.
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
    case 'merge':
      // Main and feat are the seed, unchanged since the sources forked: a fast-forward.
      return { writer, source: multi ? 'drill-merge-multi' : 'drill-merge-one' };
    case 'load-overwrite':
    case 'load-chunked-overwrite':
      return overwriteOp(writer, multi);
  }
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

/** Dry passes for one combination → its cases and its skipped failpoints. */
export async function enumerateCombo(
  ws: Workspace,
  combo: Combo,
  only?: FailpointName,
): Promise<{ cases: DrillCase[]; skipped: Skipped[] }> {
  const scenario = scenarioOf(combo);
  const ops = matrixOps(combo.writer, combo.shape);
  const cases: DrillCase[] = [];
  const skipped: Skipped[] = [];
  const wanted = FAILPOINTS.filter((f) => !only || f === only);
  const dry = async (withSpec: string): Promise<Record<string, number>> => {
    const dir = ws.copy(`dry-${scenario}`);
    try {
      const r = await runChild({ mode: 'count', repo: dir, branch: combo.branch, ops }, withSpec);
      const hits = parseHits(r.lines);
      if (!hits)
        throw new Error(
          `dry pass of ${scenario} failed: ${r.lines.join(' | ')} ${r.stderr.slice(0, 500)}`,
        );
      return hits;
    } finally {
      ws.discard(dir);
    }
  };
  const writeFps = wanted.filter((f) => !f.startsWith('recovery.'));
  if (writeFps.length) {
    const hits = await dry('');
    let provoked: Record<string, number> | null = null;
    for (const f of writeFps) {
      if ((hits[f] ?? 0) > 0) {
        for (const hit of hitsToRun(hits[f]))
          cases.push({
            id: `${scenario}/${f}@${hit}`,
            scenario,
            branch: combo.branch,
            ops,
            at: { name: f, hit },
          });
        continue;
      }
      provoked ??= await dry(ROLLBACK_PROVOKER);
      if ((provoked[f] ?? 0) > 0) {
        for (const hit of hitsToRun(provoked[f]))
          cases.push({
            id: `${scenario}/${f}@${hit}+err`,
            scenario,
            branch: combo.branch,
            ops,
            at: { name: f, hit, with: ROLLBACK_PROVOKER },
          });
      } else {
        skipped.push({
          scenario,
          failpoint: f,
          reason: `0 hits in the dry pass${REASONS[f] ? `: ${REASONS[f]}` : ''}`,
        });
      }
    }
  }
  const recFps = wanted.filter((f) => f.startsWith('recovery.'));
  if (recFps.length) {
    const dir = ws.copy(`dry-rec-${scenario}`);
    try {
      const crash = await runChild(
        { mode: 'run', repo: dir, branch: combo.branch, ops },
        specOf(RECOVERY_PRE_CRASH),
      );
      if (crash.signal !== 'SIGKILL')
        throw new Error(
          `pre-crash of ${scenario} at ${specOf(RECOVERY_PRE_CRASH)} did not crash: ${crash.lines.join(' | ')}`,
        );
      const r = await runChild({ mode: 'count-recover', repo: dir });
      const hits = parseHits(r.lines);
      if (!hits)
        throw new Error(
          `recovery dry pass of ${scenario} failed: ${r.lines.join(' | ')} ${r.stderr.slice(0, 500)}`,
        );
      for (const f of recFps) {
        if ((hits[f] ?? 0) === 0) {
          skipped.push({
            scenario,
            failpoint: f,
            reason: `0 hits in the recovery dry pass${REASONS[f] ? `: ${REASONS[f]}` : ''}`,
          });
          continue;
        }
        for (const hit of hitsToRun(hits[f]))
          cases.push({
            id: `${scenario}/${f}@${hit}`,
            scenario,
            branch: combo.branch,
            ops,
            at: RECOVERY_PRE_CRASH,
            recoveryAt: { name: f, hit },
          });
      }
    } finally {
      ws.discard(dir);
    }
  }
  return { cases, skipped };
}
