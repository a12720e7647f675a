/**
 * The actions of `load` and `export`: JSONL data files in and out of a repo (docs/writes.md
 * §JSONL load). Loaded when one of these commands runs (registered in data.ts).
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import {
  LOAD_MODES,
  Repo,
  UsageError,
  type LoadMode,
  type LoadResult,
  type ReadAt,
  DEFAULT_BRANCH,
} from '../../src/index.js';
import { formatTable } from '../format.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { parseIntOption } from '../options.js';
import { resolveTarget, type TargetOpts } from '../target.js';
import { withGraph } from '../with-graph.js';

interface LoadOpts {
  data: string;
  mode: string;
  branch?: string;
  actor?: string;
  message?: string;
  ifCommit?: string;
  json?: boolean;
  progress: boolean;
  uri?: string;
  chunkRows?: string;
  chunkBytes?: string;
}

interface ExportOpts extends TargetOpts {
  branch?: string;
  version?: string;
  commit?: string;
  out?: string;
  type?: string[];
  json?: boolean;
  uri?: string;
}

function parseMode(raw: string): LoadMode {
  if (!(LOAD_MODES as readonly string[]).includes(raw)) {
    throw new UsageError(`--mode must be one of ${LOAD_MODES.join(', ')}, got '${raw}'`, {
      option: '--mode',
      value: raw,
      allowed: LOAD_MODES,
    });
  }
  return raw as LoadMode;
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A bytes-based progress bar on stderr, with lines and lines/s. */
function progressBar(): {
  update: (bytes: number, total: number | undefined, lines: number) => void;
  stop: () => void;
} {
  const started = Date.now();
  // Loaded here, not at start-up: only a load with a progress bar needs it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        'loading [{bar}] {percentage}% | {done}/{size} | {lines} lines | {rate} lines/s | eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  return {
    update(bytes, total, lines) {
      const size = total ?? bytes;
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      const payload = { done: mib(bytes), size: mib(size), lines, rate: Math.round(lines / secs) };
      if (!startedBar) {
        bar.start(Math.max(size, 1), bytes, payload);
        startedBar = true;
      } else bar.update(bytes, payload);
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}

function humanLoad(r: LoadResult, file: string, branch: string, secs: number): string {
  const rows: Array<[string, string, number, number | undefined]> = [
    ...Object.entries(r.nodes).map(([t, n]): [string, string, number, number | undefined] => [
      'node',
      t,
      n,
      r.deleted[t],
    ]),
    ...Object.entries(r.edges).map(([t, n]): [string, string, number, number | undefined] => [
      'edge',
      t,
      n,
      r.deleted[t],
    ]),
  ];
  for (const [t, n] of Object.entries(r.deleted))
    if (!(t in r.nodes) && !(t in r.edges)) rows.push(['-', t, 0, n]);
  const total = rows.reduce((s, x) => s + x[2], 0);
  return [
    `loaded ${file} (${r.mode}) into ${branch}: ${total} records from ${r.lines} lines in ${secs.toFixed(2)}s`,
    ...(rows.length
      ? [
          formatTable(
            ['kind', 'type', 'loaded', 'deleted'],
            rows.map(([k, t, n, d]) => [k, t, n, d ?? 0]),
          ),
        ]
      : []),
    `op ${r.opId}`,
    r.commitId
      ? `commit ${r.commitId} (manifest version ${r.manifestVersion})`
      : 'nothing to commit',
  ].join('\n');
}

/** `--chunk-rows` / `--chunk-bytes` (docs/writes.md §Chunked loads). */
function chunkOptions(opts: LoadOpts): { chunkRows?: number; chunkBytes?: number } {
  const chunkRows = parseIntOption('--chunk-rows', opts.chunkRows, 1);
  const chunkBytes = parseIntOption('--chunk-bytes', opts.chunkBytes, 0);
  return {
    ...(chunkRows !== undefined ? { chunkRows } : {}),
    ...(chunkBytes !== undefined ? { chunkBytes } : {}),
  };
}

/** One `load` or `ingest`: open the repo, load the file, print the result. */
async function runLoad(
  dir: string,
  opts: LoadOpts,
  mode: LoadMode,
  branch: string,
  prepare?: (repo: Repo) => void,
): Promise<void> {
  const bar = opts.progress && !opts.json && process.stderr.isTTY ? progressBar() : undefined;
  const repo = await Repo.open(dir);
  const started = Date.now();
  try {
    prepare?.(repo);
    const result = await repo.load(
      { path: opts.data },
      {
        mode,
        branch,
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
        ...(opts.message !== undefined ? { message: opts.message } : {}),
        ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
        ...(bar ? { onProgress: bar.update } : {}),
        ...chunkOptions(opts),
      },
    );
    bar?.stop();
    printResult(opts, result, () =>
      humanLoad(result, opts.data, branch, (Date.now() - started) / 1000),
    );
  } finally {
    bar?.stop();
    await repo.close();
  }
}

export async function load(repoArg: string | undefined, opts: LoadOpts): Promise<void> {
  await runLoad(
    resolveRepo(repoArg, opts),
    opts,
    parseMode(opts.mode),
    opts.branch ?? DEFAULT_BRANCH,
  );
}

export async function ingest(
  repoArg: string | undefined,
  opts: LoadOpts & { from: string },
): Promise<void> {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  await runLoad(resolveRepo(repoArg, opts), opts, parseMode(opts.mode), branch, (repo) => {
    if (!repo.listBranches().some((b) => b.name === branch))
      repo.createBranch(branch, { from: opts.from });
  });
}

export async function exportData(repoArg: string | undefined, opts: ExportOpts): Promise<void> {
  const target = resolveTarget(repoArg, opts);
  const version = parseIntOption('--version', opts.version, 1);
  if (version !== undefined && opts.commit !== undefined)
    throw new UsageError('give --version or --commit, not both', {
      version,
      commit: opts.commit,
    });
  const at: ReadAt = {
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
  };
  const types = opts.type;
  await withGraph(target, true, async (graph) => {
    if (opts.out === undefined) {
      await graph.exportJsonl(process.stdout, at, types);
      return;
    }
    const tmp = `${opts.out}.tmp-${process.pid}`;
    const out = createWriteStream(tmp);
    try {
      const result = await graph.exportJsonl(out, at, types);
      out.end();
      await once(out, 'finish');
      renameSync(tmp, opts.out);
      const nodes = Object.values(result.nodes).reduce((a, b) => a + b, 0);
      const edges = Object.values(result.edges).reduce((a, b) => a + b, 0);
      printResult(
        opts,
        { ...result, out: opts.out },
        () =>
          `exported ${nodes} nodes and ${edges} edges of ${result.branch} (manifest version ${result.manifestVersion}, commit ${result.commitId}) to ${opts.out}`,
      );
    } catch (err) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw err;
    }
  });
}
