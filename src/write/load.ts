/**
 * JSONL load (docs/writes.md §JSONL load): one file = one operation (kind `Load`)
 * through the write protocol, so a bad line publishes nothing.
 *
 * The file is streamed line by line (node:readline over a read stream); each line
 * is checked with zod for its shape, then staged (per-row rules apply at once,
 * cross-row rules — keys, @unique, endpoints, @card — once the whole file is read,
 * so edges may come before their endpoint nodes).
 *
 * Modes:
 *   append    — every node is an insert: a key already committed, or repeated in
 *               the file, is a `key` error. Every edge line adds a new edge.
 *   merge     — nodes upsert by id (whole-row replace; last line wins). Edges merge
 *               by identity (edge type, from, to): a line whose (from, to) matches an
 *               edge committed on the branch or staged by an earlier line replaces
 *               that edge's properties and keeps its id. Reloading a file is idempotent.
 *   overwrite — every table the file touches is replaced by the file's rows: all
 *               committed rows of the table are deleted in the same Lance commit that
 *               writes the new ones (one mergeInsert per table). A node id that the
 *               file writes again keeps its edges in tables the file does not touch;
 *               a node that disappears takes its edges in untouched tables with it
 *               (cascade). Within the file, a repeated node key is a `key` error.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { EdgeTypeDef, NodeTypeDef, TypeDef } from '../schema/types.js';
import type { Snapshot } from '../journal/index.js';
import { LancelogError, UsageError } from '../errors.js';
import { DataFileError } from './errors.js';
import { parseJsonExact } from '../json-exact.js';
import { Utf8Guard, type InvalidUtf8 } from './utf8-guard.js';
import { runOperation, type OperationContext } from './operation.js';
import type { TableMove } from './protocol.js';
import { newTableChanges, type StagedOperation, type TableChanges } from './staging.js';

export type LoadMode = 'overwrite' | 'append' | 'merge';
export const LOAD_MODES: readonly LoadMode[] = ['overwrite', 'append', 'merge'];

export type LoadInput = { path: string } | { text: string; file?: string };

export interface LoadOptions {
  mode: LoadMode;
  branch?: string;
  actor?: string;
  message?: string;
  /** Called now and then while reading (at most every ~100 ms) and once at the end. */
  onProgress?: (bytesRead: number, totalBytes: number | undefined, lines: number) => void;
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

interface LineSource {
  lines: AsyncIterable<string>;
  bytesRead: () => number;
  totalBytes: number | undefined;
  /** The line of the first invalid UTF-8 byte, once the stream stopped there. */
  invalidUtf8?: () => InvalidUtf8 | undefined;
  close: () => void;
}

function openSource(input: LoadInput): { file: string; source: () => LineSource } {
  if ('path' in input) {
    let total: number;
    try {
      const st = statSync(input.path);
      if (!st.isFile())
        throw new LancelogError(
          'FileNotFound',
          `cannot read data file '${input.path}': not a file`,
          { file: input.path, reason: 'EISDIR' },
        );
      total = st.size;
    } catch (err) {
      if (err instanceof LancelogError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new LancelogError(
        'FileNotFound',
        `cannot read data file '${input.path}': ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        { file: input.path, reason: code ?? 'unknown' },
      );
    }
    return {
      file: input.path,
      source: () => {
        const stream = createReadStream(input.path, { highWaterMark: 1 << 20 });
        const guard = new Utf8Guard();
        const rl = createInterface({ input: stream.pipe(guard), crlfDelay: Infinity });
        return {
          lines: rl,
          bytesRead: () => stream.bytesRead,
          totalBytes: total,
          invalidUtf8: () => guard.failure(),
          close: () => {
            rl.close();
            stream.destroy();
            guard.destroy();
          },
        };
      },
    };
  }
  const text = input.text;
  const total = Buffer.byteLength(text);
  return {
    file: input.file ?? '<text>',
    source: () => {
      const stream = Readable.from([text]);
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      let done = 0;
      stream.on('end', () => {
        done = total;
      });
      return {
        lines: rl,
        bytesRead: () => done,
        totalBytes: total,
        close: () => {
          rl.close();
          stream.destroy();
        },
      };
    },
  };
}

/** Committed ids (and src/dst of edges) of a table at the operation's snapshot, batch by batch. */
async function* committedRows(
  ctx: OperationContext,
  snap: Snapshot,
  def: TypeDef,
  columns: string[],
): AsyncIterable<string[]> {
  const pin = snap.pins.find((p) => p.tableKey === def.tableKey);
  if (!pin)
    throw new LancelogError('TableNotPinned', `${def.tableKey} has no pin on ${snap.branch}`, {
      table_key: def.tableKey,
    });
  const handle = await ctx.openPinned(def.tableKey, pin);
  if ((await handle.countRows()) === 0) return;
  for await (const batch of handle.scanBatches({ columns })) {
    const cols = columns.map((c) => batch.getChild(c));
    for (let i = 0; i < batch.numRows; i++) yield cols.map((col) => String(col?.get(i)));
  }
}

/** The staged changes of a table, created on first use (same shape staging creates). */
function changesOf(staged: StagedOperation, def: TypeDef): TableChanges {
  let t = staged.tables.get(def.tableKey);
  if (!t) staged.tables.set(def.tableKey, (t = newTableChanges(def)));
  return t;
}

/** Stages the deletion of every committed row of a table (overwrite), without per-row lookups. */
async function clearTable(
  ctx: OperationContext,
  snap: Snapshot,
  staged: StagedOperation,
  def: TypeDef,
): Promise<void> {
  const t = changesOf(staged, def);
  if (def.kind === 'edge') {
    for await (const [id, src] of committedRows(ctx, snap, def, ['id', 'src'])) {
      t.deletes.add(id);
      t.deletedEdgeSrc.set(id, src);
    }
  } else {
    for await (const [id] of committedRows(ctx, snap, def, ['id'])) t.deletes.add(id);
  }
}

/**
 * Overwrite cascade: committed nodes of an overwritten table that the file did not
 * write again are deleted; their edges in tables the file does not overwrite go too.
 */
async function cascadeOverwrite(
  ctx: OperationContext,
  snap: Snapshot,
  staged: StagedOperation,
  overwritten: Set<string>,
): Promise<void> {
  for (const node of staged.catalog.nodes) {
    if (!overwritten.has(node.tableKey)) continue;
    const gone = staged.tables.get(node.tableKey)?.deletes;
    if (!gone || gone.size === 0) continue;
    for (const edge of staged.catalog.edges) {
      if (overwritten.has(edge.tableKey) || (edge.from !== node.name && edge.to !== node.name))
        continue;
      const t = changesOf(staged, edge);
      for await (const [id, src, dst] of committedRows(ctx, snap, edge, ['id', 'src', 'dst'])) {
        if (
          (edge.from === node.name && gone.has(src)) ||
          (edge.to === node.name && gone.has(dst))
        ) {
          t.deletes.add(id);
          t.deletedEdgeSrc.set(id, src);
        }
      }
    }
  }
}

/** Merge identity of edges: (from, to) → edge id, seeded from committed edges (smallest id wins). */
async function committedPairs(
  ctx: OperationContext,
  snap: Snapshot,
  edge: EdgeTypeDef,
): Promise<Map<string, string>> {
  const pairs = new Map<string, string>();
  for await (const [id, src, dst] of committedRows(ctx, snap, edge, ['id', 'src', 'dst'])) {
    const k = `${src}\u0000${dst}`;
    const cur = pairs.get(k);
    if (cur === undefined || id < cur) pairs.set(k, id);
  }
  return pairs;
}

/**
 * Loads a JSONL data file as one operation on a branch. Every error names the file,
 * the line, the field and the rule, and leaves the repo unchanged.
 */
export async function loadJsonl(
  ctx: OperationContext,
  input: LoadInput,
  opts: LoadOptions,
): Promise<LoadResult> {
  if (!LOAD_MODES.includes(opts.mode))
    throw new UsageError(
      `unknown load mode '${String(opts.mode)}' (use overwrite, append or merge)`,
      { mode: opts.mode },
    );
  const { file, source } = openSource(input);
  const nodesByName = new Map<string, NodeTypeDef>(ctx.catalog.nodes.map((n) => [n.name, n]));
  const edgesByName = new Map<string, EdgeTypeDef>(
    ctx.catalog.edges.map((e) => [e.name.toLowerCase(), e]),
  );
  const branch = opts.branch ?? 'main';
  const nodes: Record<string, number> = {};
  const edges: Record<string, number> = {};
  let lines = 0;

  const outcome = await runOperation(
    ctx,
    'Load',
    { branch, actor: opts.actor, message: opts.message ?? `load ${basename(file)} (${opts.mode})` },
    async (staged) => {
      // The branch's snapshot, read right after runOperation captured its own (staging
      // keeps its reader private). Should another writer publish in between, every
      // table whose reads here lead to a write is leased with runOperation's expected
      // version, so the commit fails with ExpectedVersionMismatch instead of mixing states.
      const snap = ctx.journal.snapshot({ branch });
      const touched = new Set<string>();
      const mergePairs = new Map<string, Map<string, string>>();
      const firstTouch = async (def: TypeDef): Promise<void> => {
        if (touched.has(def.tableKey)) return;
        touched.add(def.tableKey);
        if (opts.mode === 'overwrite') await clearTable(ctx, snap, staged, def);
        else if (opts.mode === 'merge' && def.kind === 'edge')
          mergePairs.set(def.tableKey, await committedPairs(ctx, snap, def));
      };
      const nodeMode = opts.mode === 'merge' ? 'upsert' : 'insert';
      // Ids for edges and keyless nodes are generated by staging (monotonic ULIDs), which
      // knows them to be new: they are never looked up in committed data.
      const src = source();
      let lastReport = 0;
      const report = (final: boolean): void => {
        if (!opts.onProgress) return;
        const now = Date.now();
        if (!final && now - lastReport < 100) return;
        lastReport = now;
        opts.onProgress(
          final && src.totalBytes !== undefined
            ? src.totalBytes
            : Math.min(src.bytesRead(), src.totalBytes ?? Infinity),
          src.totalBytes,
          lines,
        );
      };
      try {
        for await (let text of src.lines) {
          lines++;
          if ((lines & 1023) === 0) report(false);
          if (lines === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          const trimmed = text.trim();
          if (trimmed === '' || trimmed.startsWith('//')) continue;
          const line = lines;
          let obj: unknown;
          try {
            obj = parseJsonExact(trimmed);
          } catch (err) {
            throw new DataFileError(`not valid JSON: ${(err as Error).message}`, {
              file,
              line,
              field: '$',
              rule: 'json',
            });
          }
          if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
            throw new DataFileError(
              `a line must be a JSON object, got ${Array.isArray(obj) ? 'a list' : JSON.stringify(obj)}`,
              { file, line, field: '$', rule: 'shape' },
            );
          }
          const rec = obj as Record<string, unknown>;
          const origin = { file, line };
          if ('type' in rec) {
            const node = isNodeLine(rec) ? rec : explained(NodeLine, file, line, rec, 'node');
            const def = nodesByName.get(node.type);
            if (!def) {
              const isEdge = edgesByName.has(node.type.toLowerCase());
              throw new DataFileError(
                isEdge
                  ? `'${node.type}' is an edge type; edge lines are {"edge": …, "from": …, "to": …}`
                  : `no node type '${node.type}' in the schema (node types: ${[...nodesByName.keys()].join(', ')})`,
                { file, line, field: 'type', rule: 'unknown_type', type: node.type },
              );
            }
            await firstTouch(def);
            staged.putNode(def.name, node.data, nodeMode, origin);
            nodes[def.name] = (nodes[def.name] ?? 0) + 1;
          } else if ('edge' in rec) {
            const {
              edge: name,
              from,
              to,
              data,
            } = isEdgeLine(rec) ? rec : explained(EdgeLine, file, line, rec, 'edge');
            const def = edgesByName.get(name.toLowerCase());
            if (!def) {
              throw new DataFileError(
                `no edge type '${name}' in the schema (edge types: ${ctx.catalog.edges.map((e) => e.name).join(', ')})`,
                { file, line, field: 'edge', rule: 'unknown_edge', edge: name },
              );
            }
            await firstTouch(def);
            if (opts.mode === 'merge') {
              const pairs = mergePairs.get(def.tableKey)!;
              const k = `${String(from)}\u0000${String(to)}`;
              const id = pairs.get(k);
              if (id === undefined)
                pairs.set(
                  k,
                  staged.putEdge(def.name, from, to, data ?? {}, { mode: 'insert' }, origin),
                );
              else staged.putEdge(def.name, from, to, data ?? {}, { id, mode: 'upsert' }, origin);
            } else {
              staged.putEdge(def.name, from, to, data ?? {}, { mode: 'insert' }, origin);
            }
            edges[def.name] = (edges[def.name] ?? 0) + 1;
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
      } finally {
        src.close();
      }
      report(true);
      if (opts.mode === 'overwrite') await cascadeOverwrite(ctx, snap, staged, touched);
      const deleted: Record<string, number> = {};
      // Staging drops an id from `deletes` when it is written again, so these are true removals.
      for (const t of staged.tables.values())
        if (t.deletes.size > 0) deleted[t.def.name] = t.deletes.size;
      return deleted;
    },
  );

  return {
    opId: outcome.opId,
    commitId: outcome.commitId,
    manifestVersion: outcome.manifestVersion,
    mode: opts.mode,
    nodes,
    edges,
    deleted: outcome.value,
    lines,
    tables: outcome.tables,
  };
}
