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
import type { Catalog, NodeTypeDef } from '../../schema/types.js';
import { nodeTypeNamed, typeIndex, type TypeIndex } from '../../schema/lookup.js';
import type { EmbeddingClient } from '../../embed/index.js';
import { LancelogError, UsageError } from '../../errors.js';
import { shortestFloat32, stringifyJsonExact } from '../../json-exact.js';
import {
  embedJobs,
  embedTargetsOf,
  lazyEmbeddingClient,
  runEmbedJobs,
  sourceText,
  DataFileError,
  type EmbedJob,
} from '../protocol/index.js';
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
    const def = nodeTypeNamed(catalog, t);
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

/** Opens the input for line reading; a file that cannot be opened is FileNotFound. */
async function openInput(file: string) {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
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
  return { stream, lines };
}

/**
 * A record line this run processes: its node type is one of `types` and its `data`
 * an object. Null for a line to copy as is (a type not processed, or no type at all);
 * an unknown type or a bad `data` is a DataFileError naming the line.
 */
function rowToProcess(
  trimmed: string,
  file: string,
  line: number,
  known: TypeIndex,
  types: Map<string, NodeTypeDef>,
): { record: Record<string, unknown>; def: NodeTypeDef; data: Record<string, unknown> } | null {
  const record = parseObjectLine(trimmed, file, line);
  const typeName = record.type;
  if (typeof typeName === 'string' && !known.nodeNamed(typeName))
    throw new DataFileError(`no node type '${typeName}' in the schema`, {
      file,
      line,
      field: 'type',
      rule: 'unknown_type',
      type: typeName,
    });
  const def = typeof typeName === 'string' ? types.get(typeName) : undefined;
  const data = record.data;
  if (!def) return null;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new DataFileError('"data" must be an object of properties', {
      file,
      line,
      field: 'data',
      rule: 'type',
    });
  return { record, def, data: data as Record<string, unknown> };
}

/** The lines held for the next provider round, in file order. */
class HeldRound {
  private held: Held[] = [];
  private firstLine: number | undefined;
  private lastLine: number | undefined;
  private pendingRows = 0;

  constructor(
    private readonly out: WriteStream,
    private readonly client: () => EmbeddingClient,
    private readonly file: string,
    private readonly batchRows: number,
  ) {}

  /** Holds a line; `jobs` non-empty marks it a row waiting for vectors. */
  hold(h: Held, line: number, jobs: number): void {
    this.held.push(h);
    if (jobs > 0) {
      this.firstLine ??= line;
      this.lastLine = line;
      this.pendingRows++;
    }
  }

  /**
   * Bounded memory: a round waits for at most batchRows rows to embed, and at most
   * MAX_HELD_FACTOR × batchRows lines in all (rows to embed are sparse in some files).
   */
  full(): boolean {
    return (
      this.pendingRows >= this.batchRows ||
      this.held.length >=
        (this.pendingRows === 0 ? this.batchRows : MAX_HELD_FACTOR * this.batchRows)
    );
  }

  /** Embeds and writes every held line; returns the vectors computed. */
  async flush(): Promise<number> {
    const embedded = await flushHeld(this.held, this.out, this.client, {
      file: this.file,
      ...(this.firstLine !== undefined ? { line: this.firstLine, last_line: this.lastLine } : {}),
    });
    this.held = [];
    this.pendingRows = 0;
    this.firstLine = this.lastLine = undefined;
    return embedded;
  }
}

/** Streams every input line through `round` into the output, counting into `result`. */
async function processLines(
  opts: EmbedFileOptions,
  lines: AsyncIterable<string>,
  types: Map<string, NodeTypeDef>,
  round: HeldRound,
  result: EmbedFileResult,
): Promise<void> {
  const known = typeIndex(opts.catalog);
  const file = opts.input;
  let line = 0;
  for await (const text of lines) {
    line++;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('//')) {
      round.hold({ text }, line, 0);
      continue;
    }
    result.records++;
    const row = rowToProcess(trimmed, file, line, known, types);
    if (!row) {
      round.hold({ text }, line, 0);
      continue;
    }
    const plan = planRow(row.def, row.data, opts.mode);
    result.cleaned += plan.cleaned;
    if (plan.jobs.length === 0 && plan.cleaned === 0) round.hold({ text }, line, 0);
    else round.hold({ record: row.record, jobs: plan.jobs }, line, plan.jobs.length);
    if (round.full()) result.embedded += await round.flush();
  }
  result.embedded += await round.flush();
}

export async function embedJsonlFile(opts: EmbedFileOptions): Promise<EmbedFileResult> {
  const types = typesToProcess(opts.catalog, opts.types);
  const client = opts.client ? () => opts.client! : lazyEmbeddingClient();
  const tmp = `${opts.output}.tmp`;
  const result: EmbedFileResult = {
    input: opts.input,
    output: opts.output,
    mode: opts.mode,
    records: 0,
    embedded: 0,
    cleaned: 0,
  };
  const { stream, lines } = await openInput(opts.input);
  const out = createWriteStream(tmp);
  const round = new HeldRound(out, client, opts.input, opts.batchRows ?? 256);
  try {
    await processLines(opts, lines, types, round, result);
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
