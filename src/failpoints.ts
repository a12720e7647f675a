/**
 * Named fault points (docs/failpoints.md). Inert unless armed, through `armFailpoint`
 * or `LANCELOG_FAILPOINTS="name=action[@n];…"` with actions `error` (typed throw),
 * `crash` (SIGKILL of this process: nothing after it runs, no cleanup, no flush) and
 * `delay:<ms>`; `armFailpoint` also takes `call` (runs a function there, for tests). `@n` fires on the n-th hit only (1-based); without it, every hit fires.
 *
 * Every name used in the code must be in FAILPOINTS (a test greps the sources) and
 * in docs/failpoints.md (another test), so drills can enumerate them.
 */
import { LancelogError } from './errors.js';

export const FAILPOINTS = [
  'write.after_begin',
  'write.after_lease',
  'write.after_intent',
  'write.before_table_commit',
  'write.after_table_commit',
  'write.after_chunk_commit',
  'write.before_publish',
  'write.after_publish',
  'write.after_cleanup',
  'write.before_rollback_publish',
  'recovery.after_classify',
  'recovery.after_restore',
  'recovery.before_publish',
  'recovery.after_publish',
  'graph_index.before_rename',
  'graph_index.after_rename',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

const BEFORE_TABLE_COMMIT: FailpointName = 'write.before_table_commit';
/**
 * A spec (for LANCELOG_FAILPOINTS, or `;`-joined with another) that holds back every
 * table commit but the first for 5 s. Phase B commits tables concurrently, so a crash
 * at `write.after_table_commit@1` leaves exactly one table committed only with this
 * armed alongside; drills, tests and the demo use it for that.
 */
export const HOLD_BACK_LATER_TABLE_COMMITS = `${BEFORE_TABLE_COMMIT}=delay:5000@2+`;

export type FailpointAction =
  | { kind: 'error' }
  | { kind: 'crash' }
  | { kind: 'delay'; ms: number }
  /**
   * In-process only (armFailpoint, never LANCELOG_FAILPOINTS): runs `run` with the
   * failpoint's context, then the code goes on. Tests use it to break, at an exact
   * point, what a phase of the write protocol promised (docs/writes.md §Assertions).
   */
  | { kind: 'call'; run: (context: Record<string, unknown>) => void | Promise<void> };

interface Armed {
  action: FailpointAction;
  onHit: number | undefined;
  /** `@n+`: every hit from the n-th on. */
  andLater?: boolean;
  hits: number;
}

const armed = new Map<string, Armed>();
let envLoaded = false;

export class FailpointError extends LancelogError {
  constructor(name: string, context: Record<string, unknown>) {
    super('FailpointTriggered', `failpoint ${name} triggered (action error)`, {
      failpoint: name,
      ...context,
    });
  }
}

function parseAction(text: string, spec: string): FailpointAction {
  if (text === 'error') return { kind: 'error' };
  if (text === 'crash') return { kind: 'crash' };
  const m = /^delay:(\d+)$/.exec(text);
  if (m) return { kind: 'delay', ms: Number(m[1]) };
  throw new LancelogError(
    'InvalidFailpointSpec',
    `failpoint action '${text}' in '${spec}' is not one of error, crash, delay:<ms>`,
    { spec },
  );
}

type ParsedFailpoint = {
  name: FailpointName;
  action: FailpointAction;
  onHit?: number;
  andLater?: boolean;
};

/** Parses `name=action[@n[+]];…` (the LANCELOG_FAILPOINTS format). */
export function parseFailpointSpec(spec: string): ParsedFailpoint[] {
  const out: ParsedFailpoint[] = [];
  for (const part of spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z_.]+)=([a-z]+(?::\d+)?)(?:@(\d+)(\+)?)?$/.exec(part);
    if (!m)
      throw new LancelogError(
        'InvalidFailpointSpec',
        `cannot parse failpoint '${part}': expected name=action[@n[+]]`,
        { spec: part },
      );
    const name = m[1];
    if (!(FAILPOINTS as readonly string[]).includes(name)) {
      throw new LancelogError(
        'UnknownFailpoint',
        `unknown failpoint '${name}' (known: ${FAILPOINTS.join(', ')})`,
        { failpoint: name },
      );
    }
    const onHit = m[3] === undefined ? undefined : Number(m[3]);
    if (onHit !== undefined && onHit < 1)
      throw new LancelogError('InvalidFailpointSpec', `hit count in '${part}' must be ≥ 1`, {
        spec: part,
      });
    out.push({
      name: name as FailpointName,
      action: parseAction(m[2], part),
      ...(onHit ? { onHit } : {}),
      ...(m[4] ? { andLater: true } : {}),
    });
  }
  return out;
}

function loadEnv(): void {
  if (envLoaded) return;
  envLoaded = true;
  const spec = process.env.LANCELOG_FAILPOINTS;
  if (spec)
    for (const f of parseFailpointSpec(spec))
      armed.set(f.name, { action: f.action, onHit: f.onHit, andLater: f.andLater, hits: 0 });
}

export function armFailpoint(
  name: FailpointName,
  action: FailpointAction,
  opts: { onHit?: number; andLater?: boolean } = {},
): void {
  loadEnv();
  if (!(FAILPOINTS as readonly string[]).includes(name))
    throw new LancelogError('UnknownFailpoint', `unknown failpoint '${name}'`, { failpoint: name });
  armed.set(name, { action, onHit: opts.onHit, andLater: opts.andLater, hits: 0 });
}

export function disarmFailpoint(name: FailpointName): void {
  armed.delete(name);
}

export function disarmAllFailpoints(): void {
  loadEnv();
  armed.clear();
}

/** How many times an armed failpoint has been reached (for tests). */
export function failpointHits(name: FailpointName): number {
  return armed.get(name)?.hits ?? 0;
}

/** A fault point. Costs one map lookup when nothing is armed. */
export async function failpoint(
  name: FailpointName,
  context: Record<string, unknown> = {},
): Promise<void> {
  loadEnv();
  const a = armed.get(name);
  if (!a) return;
  a.hits++;
  if (a.onHit !== undefined && (a.andLater ? a.hits < a.onHit : a.hits !== a.onHit)) return;
  switch (a.action.kind) {
    case 'error':
      throw new FailpointError(name, context);
    case 'crash':
      // SIGKILL: the process dies here exactly as on power loss of the process
      // (no exit handlers, no buffered writes flushed).
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL delivery is asynchronous; never continue past a crash point.
      await new Promise<never>(() => {
        /* wait for the signal */
      });
      return;
    case 'delay':
      await new Promise((r) => setTimeout(r, (a.action as { ms: number }).ms));
      return;
    case 'call':
      await a.action.run(context);
  }
}
