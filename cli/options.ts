/**
 * Parsing of command-line option values shared by several commands, each failure a
 * UsageError naming the option (light: no API load, so registration can use `collect`).
 */
import { EVENT_KIND_NAMES, UsageError } from '../src/light.js';
import type { EventKind, ReadAt } from '../src/index.js';

/** A decimal integer ≥ `min` given to `option`, else UsageError. */
export function parseIntOption(
  option: string,
  raw: string | undefined,
  min: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${option} must be an integer ≥ ${min}, got '${raw}'`, {
      option,
      value: raw,
    });
  }
  return n;
}

/**
 * `--since T`: an ISO-8601 time (`2025-01-31`, `2025-01-31T12:00:00Z`, with up to
 * microsecond fractions) or a number of microseconds since the epoch.
 */
export function parseSince(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  } else if (
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(s)
  ) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) {
      // Date.parse keeps milliseconds; add the 4th–6th fraction digits back.
      const extra = /\.\d{3}(\d{1,3})/.exec(s)?.[1];
      return ms * 1000 + (extra ? Number(extra.padEnd(3, '0')) : 0);
    }
  }
  throw new UsageError(
    `--since must be an ISO-8601 time (e.g. 2025-01-31T12:00:00Z) or microseconds since the epoch, got '${raw}'`,
    { option: '--since', value: raw },
  );
}

export function parseKind(raw: string | undefined): EventKind | undefined {
  if (raw === undefined) return undefined;
  if (!(EVENT_KIND_NAMES as readonly string[]).includes(raw)) {
    throw new UsageError(
      `unknown event kind '${raw}'; expected one of: ${EVENT_KIND_NAMES.join(', ')}`,
      { option: '--kind', value: raw, allowed: EVENT_KIND_NAMES },
    );
  }
  return raw as EventKind;
}

const COMMIT_FILTER_KEYS = ['actor'] as const;

/** `--filter key=value` (repeatable); the only key is `actor`. */
export function parseCommitFilters(raw: string[]): { actor?: string } {
  const out: { actor?: string } = {};
  for (const f of raw) {
    const eq = f.indexOf('=');
    const key = eq > 0 ? f.slice(0, eq).trim() : '';
    const value = eq > 0 ? f.slice(eq + 1) : '';
    if (!(COMMIT_FILTER_KEYS as readonly string[]).includes(key) || value === '') {
      throw new UsageError(
        `bad --filter '${f}': expected key=value with key one of ${COMMIT_FILTER_KEYS.join(', ')}`,
        { option: '--filter', value: f, allowed: COMMIT_FILTER_KEYS },
      );
    }
    if (out.actor !== undefined && out.actor !== value) {
      throw new UsageError(`--filter actor given twice ('${out.actor}' and '${value}')`, {
        option: '--filter',
        value: f,
      });
    }
    out.actor = value;
  }
  return out;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --branch / --version / --commit → a ReadAt; --version and --commit exclude each other. */
export function readAt(opts: { branch?: string; version?: string; commit?: string }): ReadAt {
  const version = parseIntOption('--version', opts.version, 1);
  if (version !== undefined && opts.commit !== undefined) {
    throw new UsageError('give --version or --commit, not both', { version, commit: opts.commit });
  }
  return {
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
  };
}
