/** Small formatting helpers shared by the human (non-JSON) output of commands. */

/**
 * Microseconds since the epoch as ISO-8601 UTC (the API's, so the CLI and the server
 * agree). Only the commands' actions use this module, which load the API anyway.
 */
export { isoFromUs } from '../src/index.js';

/** A duration in microseconds, compactly: `850µs`, `12.3ms`, `4.07s`, `3m12s`. */
export function formatDurationUs(us: number): string {
  if (us < 1000) return `${us}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  const s = us / 1_000_000;
  if (s < 60) return `${s.toFixed(2)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

/**
 * Rows as a compact aligned table: a header line, then one line per row; columns
 * separated by two spaces, the last one not padded. `null`/`undefined` print as `-`.
 */
export function formatTable(
  headers: string[],
  rows: Array<Array<string | number | null | undefined>>,
): string {
  const cells = rows.map((r) =>
    r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))),
  );
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
