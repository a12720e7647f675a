/**
 * The damage mode of the power-loss drill (docs/drills.md "Damage mode"): a writer is
 * killed at a failpoint of its second operation (and, under strace, its repo cut back
 * to what it had fsync'd: power-loss.ts); then each file that operation's unpublished
 * Lance commits created — manifests, transaction, data and deletion files — is, one at
 * a time in its own copy, truncated to 0 bytes, deleted, or given a flipped byte, and
 * the copy is recovered and checked. Recovery must roll the operation back (the
 * undamaged copy shows what it decides otherwise), publish nothing it cannot read (the
 * scrub of `doctor --deep` finds nothing), and leave the repo writable (I5).
 */
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Repo } from '../repo.js';
import type { FailpointName } from '../failpoints.js';
import {
  modelsOf,
  otherBranches,
  parseAcks,
  pool,
  resultOf,
  specOf,
  touchedOf,
  type CaseResult,
  type Checker,
  type DrillCase,
  type Outcome,
  type Workspace,
} from './harness.js';
import { matrixOp } from './matrix.js';
import type { DrillOp } from './model.js';
import { POWER_LOSS_STRACE, powerCut } from './power-loss.js';
import { runChild } from './spawn.js';
import { parseStrace } from './strace.js';

export const DAMAGES = ['truncate', 'delete', 'flip'] as const;
export type Damage = (typeof DAMAGES)[number];

/** A crashed state to damage: its case, whether the repo is cut, what recovery decides without damage. */
export interface DamageCase extends DrillCase {
  cut: boolean;
  intact: 'RollForward' | 'RollBack';
}

/** Op 1 (acknowledged): an update of p1, as in the power-loss cases. */
const FIRST: DrillOp = {
  writer: 'tx',
  inserts: [],
  links: [],
  updates: [{ type: 'Person', name: 'p1', patch: { age: 99 } }],
  deletes: [],
};

function damageCase(
  name: string,
  branch: string,
  shape: 'one-table' | 'multi-table',
  at: { name: FailpointName; hit: number; with?: string },
  cut: boolean,
  intact: DamageCase['intact'],
): DamageCase {
  return {
    id: `damage-${name}`,
    scenario: `damage/tx/${branch}/${shape}${cut ? ' (power cut)' : ''}`,
    branch,
    ops: [FIRST, matrixOp('tx', shape)],
    at,
    cut,
    intact,
  };
}

/**
 * The crashed states (hits count both operations; op 1 hits each point once):
 * - op 2 crashed before its publish, every table committed and recorded: without
 *   damage a RollForward, so the damage decides (main and a branch; one and three tables);
 * - op 2's first table committed, the others held back: a RollBack over the damage;
 * - the same crash before the publish, power cut: the record of the commit is lost
 *   with the unsynced WAL, a RollBack over files that did reach the disk.
 */
export function damageCases(opts: { cut: boolean }): DamageCase[] {
  const beforePublish = { name: 'write.before_publish' as const, hit: 2 };
  const cases = [
    damageCase('main-one-table', 'main', 'one-table', beforePublish, false, 'RollForward'),
    damageCase('main-multi-table', 'main', 'multi-table', beforePublish, false, 'RollForward'),
    damageCase('feat-one-table', 'feat', 'one-table', beforePublish, false, 'RollForward'),
    damageCase(
      'main-multi-table-first-commit',
      'main',
      'multi-table',
      { name: 'write.after_table_commit', hit: 2, with: 'write.before_table_commit=delay:5000@3+' },
      false,
      'RollBack',
    ),
  ];
  if (opts.cut)
    cases.push(
      damageCase('cut-main-one-table', 'main', 'one-table', beforePublish, true, 'RollBack'),
    );
  return cases;
}

/**
 * Every file the unpublished Lance commits of the repo's in-flight operations created,
 * relative to the repo: for each table of an operation's intent, what each version past
 * the expected one needs that the expected one did not (its manifest, transaction file,
 * data and deletion files) — read from the manifests, as the Sync step does.
 */
export async function operationFiles(dir: string): Promise<string[]> {
  const repo = await Repo.open(dir, { readOnly: true });
  const out = new Set<string>();
  try {
    for (const op of repo.journal.inFlightOperations()) {
      const intent = repo.journal
        .listEvents({ opId: op.opId, kind: 'op.intent_recorded' })
        .flatMap((e) => (e.kind === 'op.intent_recorded' ? e.payload.tables : []));
      for (const t of intent) {
        const def = repo.typeDef(t.table_key);
        const files = repo.store.lineFiles(def.tableKey, def.tablePath, t.lance_branch);
        const head = (await files.listedHead()) ?? t.expected_version;
        for (let v = t.expected_version + 1; v <= head; v++) {
          const found = await files.needs(v, t.expected_version);
          const needs = 'needs' in found ? found.needs : [];
          for (const n of needs) out.add(relative(dir, n.file));
          if ('manifest' in found) out.add(join(def.tablePath + '.lance', found.manifest.path));
        }
      }
    }
  } finally {
    await repo.close();
  }
  return [...out].sort();
}

/** Truncates, deletes or flips a byte (in the middle) of `file`. */
export function damageFile(file: string, how: Damage): void {
  if (how === 'truncate') truncateSync(file, 0);
  else if (how === 'delete') rmSync(file);
  else {
    const b = readFileSync(file);
    if (b.length === 0) return;
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(file, b);
  }
}

/** The writer run: killed at the case's point, the repo cut when the case says so; the state to damage. */
async function crashedState(
  ws: Workspace,
  c: DamageCase,
): Promise<{ state: string; acked: number; problems: string[]; outcome: Outcome }> {
  const dir = ws.copy(c.id);
  const log = `${dir}.strace`;
  const wrapper = c.cut ? ['strace', ...POWER_LOSS_STRACE, '-o', log] : [];
  const run = await runChild(
    { mode: 'run', repo: dir, branch: c.branch, ops: c.ops },
    specOf(c.at),
    300_000,
    wrapper,
  );
  const { acked } = parseAcks(run);
  if (run.signal !== 'SIGKILL')
    return {
      state: dir,
      acked,
      outcome: 'error',
      problems: [
        `writer did not die at ${c.at.name}@${c.at.hit}: ${run.lines.join(' | ')} ${run.stderr.slice(0, 300)}`,
      ],
    };
  if (!c.cut) return { state: dir, acked, problems: [], outcome: 'crashed' };
  const cut = `${dir}-cut`;
  powerCut(dir, ws.template, parseStrace(readFileSync(log, 'utf8')), cut);
  return { state: cut, acked, problems: [], outcome: 'crashed' };
}

/**
 * One crashed state and all its damaged copies: the undamaged copy must recover as
 * `c.intact` says, every damaged one must roll back; each passes I1–I6 and the scrub.
 */
export async function runDamageCase(
  ws: Workspace,
  c: DamageCase,
  check$: Checker,
  workers: number,
): Promise<CaseResult[]> {
  const started = performance.now();
  const crashed = await crashedState(ws, c);
  if (crashed.outcome !== 'crashed')
    return [
      resultOf(
        c,
        crashed.outcome,
        null,
        performance.now() - started,
        crashed.problems,
        crashed.state,
      ),
    ];
  const files = await operationFiles(crashed.state);
  const variants: Array<{ file: string; how: Damage } | null> = [
    null,
    ...files.flatMap((file) => DAMAGES.map((how) => ({ file, how }))),
  ];
  const problems = files.length === 0 ? [`the crashed operation left no files to damage`] : [];
  return pool(variants, workers, async (v, i) => {
    const t0 = performance.now();
    const dir = `${crashed.state}-${i}`;
    cpSync(crashed.state, dir, { recursive: true });
    if (v) damageFile(join(dir, v.file), v.how);
    const variant: DrillCase = { ...c, id: v ? `${c.id}/${v.how}:${v.file}` : `${c.id}/intact` };
    const check = await check$({
      dir,
      branch: c.branch,
      models: modelsOf(c.ops),
      acked: crashed.acked,
      others: otherBranches(c.branch),
      touched: touchedOf(c.ops),
      scrub: true,
    });
    const want = v ? 'RollBack' : c.intact;
    const wrong =
      check.decision === want ? [] : [`recovery decided ${check.decision}, expected ${want}`];
    const res = resultOf(
      variant,
      'crashed',
      check,
      performance.now() - t0,
      [...problems, ...wrong],
      dir,
    );
    res.crashPoint = `${res.crashPoint} ${v ? `${v.how} ${v.file}` : 'no damage'}`;
    if (wrong.length > 0) res.ok = false;
    if (res.ok) ws.discard(dir);
    return res;
  });
}
