/**
 * Shared benchmark helpers: timing, medians, the machine line, the result shape,
 * and the alternating runner every comparison uses (docs/performance.md §Running them: one
 * process, the two sides alternating, median of ≥ 5 runs after a warm-up).
 */
import { cpus, totalmem } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One metric of one bench; `--json` prints one of these per line (JSON Lines). */
export interface BenchResult {
  name: string;
  metric: string;
  /** Lancelog's median (unit in `unit`). */
  lancelog: number;
  /** The baseline's median (raw LanceDB / raw SQLite / the other history point; see `baselineIs`). */
  baseline: number | null;
  /** lancelog / baseline for times, lancelog / baseline for rates too (see `better`). */
  ratio: number | null;
  /** Human-readable target, e.g. "ratio <= 1.15", or null when informative only. */
  target: string | null;
  /** Whether the target is met (null when there is no target). */
  met: boolean | null;
  runs: number;
  machine: string;
  unit: string;
  /** What the baseline column is. */
  baselineIs: string;
  /** Free-form extras (phase breakdowns, p90s, sizes...). */
  extra?: Record<string, unknown>;
}

export interface BenchOptions {
  /** Multiplies the bench's full-size parameters (1 = the sizes of issue 8). */
  scale?: number;
  /** Measured runs per side (after warm-up); at least 5. */
  runs?: number;
  /** Where to put repos and data (a fresh temp dir by default, removed at the end). */
  dir?: string;
  /** history: prior commits of the long repo, generated through the journal (see history.ts). */
  commits?: number;
  /** Progress lines to stderr. */
  log?: (msg: string) => void;
}

export function machineLine(): string {
  const c = cpus();
  return `node ${process.version}, ${c[0]?.model.trim() ?? 'unknown cpu'}, ${c.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${process.platform}`;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = nowMs();
  await fn();
  return nowMs() - t0;
}

/**
 * Rounds for display to `digits` decimals, but never below 4 significant digits: a
 * sub-millisecond figure (0.0016 ms) rounded to 3 decimals (0.002) would make the printed
 * ratio disagree with the printed values by a third.
 */
export const round = (x: number, digits = 3): number => {
  if (!Number.isFinite(x) || x === 0) return x;
  const significantDecimals = 3 - Math.floor(Math.log10(Math.abs(x)));
  return Number(x.toFixed(Math.min(20, Math.max(digits, significantDecimals))));
};

/**
 * Runs `sides` alternately: `warmup` rounds (discarded), then `runs` rounds; within a
 * round the order flips every other round (ABBA) so neither side always goes first.
 * Each side returns its measured value (ms, or a rate). Returns the samples per side.
 */
export async function alternate<K extends string>(
  sides: Record<K, (round: number) => Promise<number>>,
  opts: { runs: number; warmup: number; log?: (m: string) => void; label?: string },
): Promise<Record<K, number[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const total = opts.warmup + opts.runs;
  for (let r = 0; r < total; r++) {
    const order = r % 2 === 0 ? keys : [...keys].reverse();
    for (const k of order) {
      const v = await sides[k](r);
      if (r >= opts.warmup) out[k].push(v);
    }
    if (opts.log && (r + 1) % Math.max(1, Math.floor(total / 5)) === 0)
      opts.log(`${opts.label ?? ''} round ${r + 1}/${total}`);
  }
  return out;
}

export function result(args: {
  name: string;
  metric: string;
  lancelog: number;
  baseline: number | null;
  unit: string;
  baselineIs: string;
  runs: number;
  target?: { kind: 'ratio<=' | 'ratio>=' | 'extra<='; value: number } | null;
  extra?: Record<string, unknown>;
}): BenchResult {
  const ratio =
    args.baseline === null || args.baseline === 0 ? null : args.lancelog / args.baseline;
  let target: string | null = null;
  let met: boolean | null = null;
  const t = args.target;
  if (t) {
    if (t.kind === 'ratio<=') {
      target = `ratio <= ${t.value}`;
      met = ratio !== null && ratio <= t.value;
    }
    if (t.kind === 'ratio>=') {
      target = `ratio >= ${t.value}`;
      met = ratio !== null && ratio >= t.value;
    }
    if (t.kind === 'extra<=') {
      target = `lancelog - baseline <= ${t.value} ${args.unit}`;
      met = args.baseline !== null && args.lancelog - args.baseline <= t.value;
    }
  }
  return {
    name: args.name,
    metric: args.metric,
    lancelog: round(args.lancelog),
    baseline: args.baseline === null ? null : round(args.baseline),
    ratio: ratio === null ? null : round(ratio),
    target,
    met,
    runs: args.runs,
    machine: machineLine(),
    unit: args.unit,
    baselineIs: args.baselineIs,
    ...(args.extra ? { extra: args.extra } : {}),
  };
}

/** A table for humans. */
export function formatTable(results: BenchResult[]): string {
  const head = [
    'bench',
    'metric',
    'lancelog',
    'baseline',
    'unit',
    'ratio',
    'target',
    'met',
    'runs',
  ];
  const rows = results.map((r) => [
    r.name,
    r.metric,
    String(r.lancelog),
    r.baseline === null ? '-' : String(r.baseline),
    r.unit,
    r.ratio === null ? '-' : r.ratio.toFixed(3),
    r.target ?? '-',
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
    String(r.runs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const notes = results.map((r) => `  ${r.name}/${r.metric}: baseline = ${r.baselineIs}`);
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...notes,
    `  machine: ${results[0]?.machine ?? machineLine()}`,
  ].join('\n');
}

/** A work directory: the given one, or a fresh temp dir removed by `cleanup`. */
export function workDir(
  dir: string | undefined,
  prefix: string,
): { dir: string; cleanup: () => void } {
  if (dir) return { dir, cleanup: () => undefined };
  const d = mkdtempSync(join(tmpdir(), `lancelog-bench-${prefix}-`));
  return { dir: d, cleanup: () => rmSync(d, { recursive: true, force: true }) };
}

/** Runs a number through `--scale` with a floor. */
export function scaled(full: number, scale: number, min: number): number {
  return Math.max(min, Math.round(full * scale));
}

/** Accumulates time per named phase (for profiling breakdowns). */
export class Spans {
  readonly totals = new Map<string, number[]>();
  add(name: string, ms: number): void {
    let a = this.totals.get(name);
    if (!a) {
      a = [];
      this.totals.set(name, a);
    }
    a.push(ms);
  }
  medians(): Record<string, number> {
    return Object.fromEntries([...this.totals].map(([k, v]) => [k, round(median(v))]));
  }
}
