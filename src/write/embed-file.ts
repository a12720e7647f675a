/**
 * `lancelog embed` (docs/cli.md): fills, recomputes or strips the `@embed` vectors of
 * a JSONL data file offline, against a schema, without a repo. The file streams line by
 * line: at most `batchRows` rows wait for one provider call (and the lines after the
 * first of them, so the output keeps the input's order), then they are written. Lines
 * that need no change are copied byte for byte; the output appears (renamed from
 * `<output>.tmp`) only when every line succeeded.
 */
import { createReadStream, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Catalog, NodeTypeDef } from '../schema/types.js';
import type { EmbeddingClient } from '../embed/index.js';
import { LancelogError, UsageError } from '../errors.js';
import { shortestFloat32, stringifyJsonExact } from '../json-exact.js';
import { DataFileError } from './errors.js';
import {
  embedJobs,
  embedTargetsOf,
  lazyEmbeddingClient,
  runEmbedJobs,
  sourceText,
  type EmbedJob,
} from './embed-fill.js';
import { parseObjectLine } from './load-lines.js';

/** `fill`: only missing vectors; `reembed-all`: every vector with a source text; `clean`: remove them. */
export type EmbedFileMode = 'fill' | 'reembed-all' | 'clean';

export interface EmbedFileOptions {
  input: string;
  output: string;
  catalog: Catalog;
  mode: EmbedFileMode;
  /** Only rows of these node types (default: every type with an `@embed` vector). */
  types?: string[];
  /** Default: from the environment (`LANCELOG_EMBEDDINGS`), created only if a row needs it. */
  client?: EmbeddingClient;
  /** Rows per provider round (default 256; the client batches its requests further). */
  batchRows?: number;
}

export interface EmbedFileResult {
  input: string;
  output: string;
  mode: EmbedFileMode;
  /** Non-blank, non-comment lines. */
  records: number;
  /** Vectors computed. */
  embedded: number;
  /** Vectors removed (`clean`). */
  cleaned: number;
}

const MAX_HELD_FACTOR = 16;

/** One output line: the original text, or a record to re-serialise once its vectors are in. */
type Held = { text: string } | { record: Record<string, unknown>; jobs: EmbedJob[] };

function typesToProcess(catalog: Catalog, types: string[] | undefined): Map<string, NodeTypeDef> {
  const embedded = catalog.nodes.filter((n) => embedTargetsOf(n).length > 0);
  if (!types || types.length === 0) return new Map(embedded.map((n) => [n.name, n]));
  const out = new Map<string, NodeTypeDef>();
  for (const t of types) {
    const def = catalog.nodes.find((n) => n.name === t);
    if (!def || embedTargetsOf(def).length === 0)
      throw new UsageError(
        `--type ${t}: ${def ? 'has no @embed vector' : 'no node type of that name in the schema'} (types with @embed: ${embedded.map((n) => n.name).join(', ') || 'none'})`,
        { option: '--type', value: t },
      );
    out.set(t, def);
  }
  return out;
}

/** What `mode` does to one node row; returns the jobs to run (and counts cleaned vectors). */
function planRow(
  def: NodeTypeDef,
  data: Record<string, unknown>,
  mode: EmbedFileMode,
): { jobs: EmbedJob[]; cleaned: number } {
  if (mode === 'fill') return { jobs: embedJobs(def, data), cleaned: 0 };
  let cleaned = 0;
  const jobs: EmbedJob[] = [];
  for (const target of embedTargetsOf(def)) {
    if (mode === 'clean') {
      if (target.property in data) cleaned++;
      delete data[target.property];
      continue;
    }
    const text = sourceText(data[target.source]);
    if (text !== undefined) jobs.push({ def, data, target, text });
  }
  return { jobs, cleaned };
}

async function writeLine(out: WriteStream, text: string): Promise<void> {
  if (!out.write(`${text}\n`)) await once(out, 'drain');
}

/** Runs the held rows' provider calls and writes every held line, in order. */
async function flushHeld(
  held: Held[],
  out: WriteStream,
  client: () => EmbeddingClient,
  where: { file: string; line?: number; last_line?: number },
): Promise<number> {
  const jobs = held.flatMap((h) => ('jobs' in h ? h.jobs : []));
  await runEmbedJobs(client, jobs, where);
  for (const j of jobs)
    j.data[j.target.property] = (j.data[j.target.property] as number[]).map(shortestFloat32);
  for (const h of held) await writeLine(out, 'text' in h ? h.text : stringifyJsonExact(h.record));
  return jobs.length;
}

function openInput(path: string) {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  return { stream, lines: createInterface({ input: stream, crlfDelay: Infinity }) };
}

export async function embedJsonlFile(opts: EmbedFileOptions): Promise<EmbedFileResult> {
  const types = typesToProcess(opts.catalog, opts.types);
  const known = new Set(opts.catalog.nodes.map((n) => n.name));
  const client = opts.client ? () => opts.client! : lazyEmbeddingClient();
  const batchRows = opts.batchRows ?? 256;
  const file = opts.input;
  const tmp = `${opts.output}.tmp`;
  const result: EmbedFileResult = {
    input: file,
    output: opts.output,
    mode: opts.mode,
    records: 0,
    embedded: 0,
    cleaned: 0,
  };
  const { stream, lines } = openInput(file);
  try {
    await once(stream, 'open');
  } catch (err) {
    lines.close();
    stream.destroy();
    const code = (err as NodeJS.ErrnoException).code;
    throw new LancelogError(
      'FileNotFound',
      `cannot read data file '${file}': ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { file, reason: code ?? 'unknown' },
    );
  }
  const out = createWriteStream(tmp);
  let held: Held[] = [];
  let firstLine: number | undefined;
  let lastLine: number | undefined;
  let pendingRows = 0;
  const flush = async () => {
    result.embedded += await flushHeld(held, out, client, {
      file,
      ...(firstLine !== undefined ? { line: firstLine, last_line: lastLine } : {}),
    });
    held = [];
    pendingRows = 0;
    firstLine = lastLine = undefined;
  };
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('//')) {
        held.push({ text });
        continue;
      }
      result.records++;
      const record = parseObjectLine(trimmed, file, line);
      const typeName = record.type;
      if (typeof typeName === 'string' && !known.has(typeName))
        throw new DataFileError(`no node type '${typeName}' in the schema`, {
          file,
          line,
          field: 'type',
          rule: 'unknown_type',
          type: typeName,
        });
      const def = typeof typeName === 'string' ? types.get(typeName) : undefined;
      const data = record.data;
      if (!def) {
        held.push({ text });
        continue;
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data))
        throw new DataFileError('"data" must be an object of properties', {
          file,
          line,
          field: 'data',
          rule: 'type',
        });
      const plan = planRow(def, data as Record<string, unknown>, opts.mode);
      result.cleaned += plan.cleaned;
      if (plan.jobs.length === 0 && plan.cleaned === 0) held.push({ text });
      else held.push({ record, jobs: plan.jobs });
      if (plan.jobs.length > 0) {
        firstLine ??= line;
        lastLine = line;
        pendingRows++;
      }
      // Bounded memory: a round waits for at most batchRows rows to embed, and at most
      // MAX_HELD_FACTOR × batchRows lines in all (rows to embed are sparse in some files).
      if (
        pendingRows >= batchRows ||
        held.length >= (pendingRows === 0 ? batchRows : MAX_HELD_FACTOR * batchRows)
      )
        await flush();
    }
    await flush();
    out.end();
    await once(out, 'finish');
    renameSync(tmp, opts.output);
    return result;
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
}
