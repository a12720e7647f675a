/**
 * The lines of a JSONL data file (docs/writes.md §JSONL load), shared by the
 * one-commit load (load.ts) and the chunked load (load-chunked.ts): the source
 * (a streamed file or a text), each line's shape check and its type lookup.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { typeIndex } from '../../schema/lookup.js';
import type { Catalog, EdgeTypeDef, NodeTypeDef } from '../../schema/types.js';
import { LancelogError } from '../../errors.js';
import { DataFileError, type TableMove } from '../protocol/index.js';
import { parseJsonExact } from '../../json-exact.js';
import { Utf8Guard, type InvalidUtf8 } from './utf8-guard.js';

export type LoadInput = { path: string } | { text: string; file?: string };

export type LoadMode = 'overwrite' | 'append' | 'merge';
export const LOAD_MODES: readonly LoadMode[] = ['overwrite', 'append', 'merge'];

export interface LoadOptions {
  mode: LoadMode;
  branch?: string;
  actor?: string;
  message?: string;
  /** Called now and then while reading (at most every ~100 ms) and once at the end. */
  onProgress?: (bytesRead: number, totalBytes: number | undefined, lines: number) => void;
  /**
   * Inputs larger than this many bytes load in chunks (append and merge): several
   * Lance commits per table, one publish (docs/writes.md §Chunked loads). Default
   * CHUNK_BYTES_DEFAULT; smaller inputs keep one Lance commit per table.
   */
  chunkBytes?: number;
  /** Rows per table per Lance commit of a chunked load (default CHUNK_ROWS_DEFAULT). */
  chunkRows?: number;
  /** A conditional load: only if the branch head is still this commit (PreconditionFailed). */
  ifCommit?: string;
}

export interface LoadResult {
  opId: string;
  /** Null when the file staged nothing (no commit is made). */
  commitId: string | null;
  manifestVersion: number | null;
  mode: LoadMode;
  /** Node records read, per type name. */
  nodes: Record<string, number>;
  /** Edge records read, per edge type name. */
  edges: Record<string, number>;
  /** Committed rows removed (overwrite, and the edges that cascade with them), per type name. */
  deleted: Record<string, number>;
  /** Lines read (including comments and blank lines). */
  lines: number;
  tables: TableMove[];
}

const Key = z.union([z.string(), z.number()]);
const Props = z.record(z.string(), z.unknown());
const NodeLine = z.strictObject({ type: z.string().min(1), data: Props });
const EdgeLine = z.strictObject({
  edge: z.string().min(1),
  from: Key,
  to: Key,
  data: Props.optional(),
});

const isProps = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isKey = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

/**
 * The shapes NodeLine and EdgeLine accept, checked by hand: a load calls this per
 * line and zod's parse (which also copies the object) was ~8% of a load. zod still
 * checks every line that fails here, and explains it.
 */
function isNodeLine(rec: Record<string, unknown>): rec is z.infer<typeof NodeLine> {
  for (const k in rec) if (k !== 'type' && k !== 'data') return false;
  return typeof rec.type === 'string' && rec.type.length > 0 && isProps(rec.data);
}

function isEdgeLine(rec: Record<string, unknown>): rec is z.infer<typeof EdgeLine> {
  for (const k in rec) if (k !== 'edge' && k !== 'from' && k !== 'to' && k !== 'data') return false;
  return (
    typeof rec.edge === 'string' &&
    rec.edge.length > 0 &&
    isKey(rec.from) &&
    isKey(rec.to) &&
    (rec.data === undefined || isProps(rec.data))
  );
}

/** zod's first issue → {field, rule}; `$` is the line itself. */
function issueToError(
  file: string,
  line: number,
  obj: Record<string, unknown>,
  issues: z.core.$ZodIssue[],
  kind: 'node' | 'edge',
): DataFileError {
  const issue = issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const allowed = kind === 'node' ? '"type" and "data"' : '"edge", "from", "to" and "data"';
    return new DataFileError(`unexpected field "${key}" in a ${kind} line (allowed: ${allowed})`, {
      file,
      line,
      field: key,
      rule: 'unknown_field',
    });
  }
  const field = issue.path.map(String).join('.') || '$';
  const top = issue.path[0];
  if (typeof top === 'string' && obj[top] === undefined) {
    return new DataFileError(`a ${kind} line needs "${top}"`, {
      file,
      line,
      field,
      rule: 'required',
    });
  }
  const expected: Record<string, string> = {
    type: 'a node type name (string)',
    edge: 'an edge type name (string)',
    data: 'an object of properties',
    from: 'the key of the source node (string or number)',
    to: 'the key of the target node (string or number)',
  };
  const what = typeof top === 'string' ? expected[top] : undefined;
  return new DataFileError(
    what
      ? `"${String(top)}" must be ${what}, got ${String(JSON.stringify(obj[top as string])).slice(0, 60)}`
      : issue.message,
    { file, line, field, rule: 'type' },
  );
}

/** A line the hand check refused: zod parses it (its coercions are none) or explains the first issue. */
function explained<S extends z.ZodType>(
  shape: S,
  file: string,
  line: number,
  rec: Record<string, unknown>,
  kind: 'node' | 'edge',
): z.infer<S> {
  const parsed = shape.safeParse(rec);
  if (!parsed.success) throw issueToError(file, line, rec, parsed.error.issues, kind);
  return parsed.data;
}

export interface LineSource {
  lines: AsyncIterable<string>;
  bytesRead: () => number;
  totalBytes: number | undefined;
  /** The line of the first invalid UTF-8 byte, once the stream stopped there. */
  invalidUtf8?: () => InvalidUtf8 | undefined;
  close: () => void;
}

/** The data file's size in bytes; a missing file or a directory is FileNotFound. */
function dataFileBytes(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw new LancelogError('FileNotFound', `cannot read data file '${path}': not a file`, {
        file: path,
        reason: 'EISDIR',
      });
    return st.size;
  } catch (err) {
    if (err instanceof LancelogError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new LancelogError(
      'FileNotFound',
      `cannot read data file '${path}': ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { file: path, reason: code ?? 'unknown' },
    );
  }
}

/** Streams a file's lines, stopping at the first invalid UTF-8 byte (Utf8Guard). */
function fileLineSource(path: string, totalBytes: number): LineSource {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const guard = new Utf8Guard();
  const rl = createInterface({ input: stream.pipe(guard), crlfDelay: Infinity });
  return {
    lines: rl,
    bytesRead: () => stream.bytesRead,
    totalBytes,
    invalidUtf8: () => guard.failure(),
    close: () => {
      rl.close();
      stream.destroy();
      guard.destroy();
    },
  };
}

/** A line break as readline sees one: CRLF, LF or a lone CR. */
const LINE_BREAK = /\r\n|\n|\r/g;

/**
 * Lines of an in-memory text, cut one at a time as they are read (readline over one
 * chunk would split all of them in one turn of the event loop); its progress jumps to
 * the end once the last line was read.
 */
function textLineSource(text: string, totalBytes: number): LineSource {
  let done = 0;
  let closed = false;
  async function* lines(): AsyncGenerator<string> {
    const breaks = new RegExp(LINE_BREAK);
    let start = 0;
    while (!closed && start < text.length) {
      const m = breaks.exec(text);
      yield text.slice(start, m ? m.index : text.length);
      start = m ? m.index + m[0].length : text.length;
    }
    done = totalBytes;
  }
  return {
    lines: lines(),
    bytesRead: () => done,
    totalBytes,
    close: () => {
      closed = true;
    },
  };
}

export function openSource(input: LoadInput): {
  file: string;
  /** The input's size in bytes. */
  bytes: number;
  source: () => LineSource;
} {
  if ('path' in input) {
    const total = dataFileBytes(input.path);
    return { file: input.path, bytes: total, source: () => fileLineSource(input.path, total) };
  }
  const text = input.text;
  const total = Buffer.byteLength(text);
  return { file: input.file ?? '<text>', bytes: total, source: () => textLineSource(text, total) };
}

/** One record of the file, its type resolved. */
export type LoadRecord =
  | { kind: 'node'; def: NodeTypeDef; data: Record<string, unknown>; line: number }
  | {
      kind: 'edge';
      def: EdgeTypeDef;
      from: string | number;
      to: string | number;
      data: Record<string, unknown>;
      line: number;
    };

export interface RecordProgress {
  /** Lines read so far (comments and blank lines included). */
  lines: number;
}

/** One JSONL line as a JSON object (exact 64-bit integers), else a DataFileError naming the line. */
export function parseObjectLine(text: string, file: string, line: number): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = parseJsonExact(text);
  } catch (err) {
    throw new DataFileError(`not valid JSON: ${(err as Error).message}`, {
      file,
      line,
      field: '$',
      rule: 'json',
    });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new DataFileError(
      `a line must be a JSON object, got ${Array.isArray(obj) ? 'a list' : JSON.stringify(obj)}`,
      { file, line, field: '$', rule: 'shape' },
    );
  return obj as Record<string, unknown>;
}

/**
 * Reads every record of `src` in order and hands it to `visit`; `progress.lines`
 * counts lines as they are read. A line that is not a record is a DataFileError
 * naming the file, the line, the field and the rule; so is invalid UTF-8.
 */
async function readRecords(
  src: LineSource,
  file: string,
  catalog: Catalog,
  progress: RecordProgress & { report: (final: boolean) => void },
  visit: (rec: LoadRecord) => void | Promise<void>,
): Promise<void> {
  const types = typeIndex(catalog);
  for await (let text of src.lines) {
    const line = ++progress.lines;
    if ((line & 1023) === 0) {
      progress.report(false);
      // An in-memory text (a server's /ingest) yields its lines without I/O in between:
      // without this the whole text is parsed in one turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('//')) continue;
    const rec = parseObjectLine(trimmed, file, line);
    if ('type' in rec) {
      const node = isNodeLine(rec) ? rec : explained(NodeLine, file, line, rec, 'node');
      const def = types.nodeNamed(node.type);
      if (!def) {
        const isEdge = types.edgeNamed(node.type) !== undefined;
        throw new DataFileError(
          isEdge
            ? `'${node.type}' is an edge type; edge lines are {"edge": …, "from": …, "to": …}`
            : `no node type '${node.type}' in the schema (node types: ${catalog.nodes.map((x) => x.name).join(', ')})`,
          { file, line, field: 'type', rule: 'unknown_type', type: node.type },
        );
      }
      await visit({ kind: 'node', def, data: node.data, line });
    } else if ('edge' in rec) {
      const e = isEdgeLine(rec) ? rec : explained(EdgeLine, file, line, rec, 'edge');
      const def = types.edgeNamed(e.edge);
      if (!def) {
        throw new DataFileError(
          `no edge type '${e.edge}' in the schema (edge types: ${catalog.edges.map((x) => x.name).join(', ')})`,
          { file, line, field: 'edge', rule: 'unknown_edge', edge: e.edge },
        );
      }
      await visit({ kind: 'edge', def, from: e.from, to: e.to, data: e.data ?? {}, line });
    } else {
      throw new DataFileError(
        'a line must be a node {"type", "data"} or an edge {"edge", "from", "to", "data"?}',
        { file, line, field: '$', rule: 'shape' },
      );
    }
  }
  const invalid = src.invalidUtf8?.();
  if (invalid)
    throw new DataFileError('is not valid UTF-8 text', {
      file,
      line: invalid.line,
      field: '$',
      rule: 'encoding',
    });
}

/** The progress callback of a load: at most every ~100 ms while reading, and once at the end. */
function progressOf(
  src: LineSource,
  onProgress:
    ((bytesRead: number, totalBytes: number | undefined, lines: number) => void) | undefined,
): RecordProgress & { report: (final: boolean) => void } {
  let lastReport = 0;
  const progress = {
    lines: 0,
    report(final: boolean): void {
      if (!onProgress) return;
      const now = Date.now();
      if (!final && now - lastReport < 100) return;
      lastReport = now;
      onProgress(
        final && src.totalBytes !== undefined
          ? src.totalBytes
          : Math.min(src.bytesRead(), src.totalBytes ?? Infinity),
        src.totalBytes,
        progress.lines,
      );
    },
  };
  return progress;
}

/**
 * Reads a whole input: opens its line source, visits every record, runs `finish` (the
 * last window of `@embed` fills), closes the source and reports the final progress.
 * Returns the number of lines read.
 */
export async function readInput(
  source: () => LineSource,
  file: string,
  catalog: Catalog,
  onProgress: LoadOptions['onProgress'],
  visit: (rec: LoadRecord) => void | Promise<void>,
  finish: () => Promise<void>,
): Promise<number> {
  const src = source();
  const progress = progressOf(src, onProgress);
  try {
    await readRecords(src, file, catalog, progress, visit);
    await finish();
  } finally {
    src.close();
  }
  progress.report(true);
  return progress.lines;
}
