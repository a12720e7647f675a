/**
 * Phase timing for profiling, without touching engine code: wraps the methods of one
 * Repo's journal and table store (instance properties shadowing the prototype ones)
 * and `fs.fsyncSync` (through syncBuiltinESMExports, so the ESM named import in
 * src/fs-atomic.ts sees the wrapper). Every span is wall time of a synchronous
 * SQLite transaction, an fsync, a table open or a Lance commit.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import type { Repo } from '../../src/index.js';
import { nowMs, Spans } from './lib.js';

const JOURNAL_METHODS = [
  'snapshot',
  'beginOperation',
  'startOperation',
  'beginWithLeases',
  'recordUnstartedOperation',
  'acquireLeases',
  'recordIntent',
  'tableCommitStarted',
  'tableCommitted',
  'publish',
  'completeOperation',
  'heartbeat',
  'failOperation',
  'rolledBack',
] as const;

type AnyFn = (...args: unknown[]) => unknown;

/** Wraps `obj[method]` so each call (sync or async) adds its duration to `span`; returns the undo. */
export function wrap(target: object, method: string, span: string, spans: Spans): () => void {
  const obj = target as Record<string, unknown>;
  const orig = obj[method] as AnyFn;
  const own = Object.prototype.hasOwnProperty.call(obj, method);
  obj[method] = function (this: unknown, ...args: unknown[]) {
    const t0 = nowMs();
    const r = orig.apply(this, args);
    if (r instanceof Promise) return r.finally(() => spans.add(span, nowMs() - t0));
    spans.add(span, nowMs() - t0);
    return r;
  };
  return () => {
    if (own) obj[method] = orig;
    else delete obj[method];
  };
}

/**
 * Instruments `repo` (and fsync process-wide) until the returned function is called.
 * Span names: `journal.<method>` (one SQLite IMMEDIATE transaction each, fsync'd by
 * synchronous=FULL), `store.openTable`, `store.writerAt`, `store.isHead`,
 * `store.headVersion`, `store.syncVersions` (the fsyncs of a Lance commit before its
 * publish), `store.digest` (the sha256 of the files a commit created, for its record),
 * `lance.mergeInsert`,
 * `lance.append`, `fs.fsync` (sidecar file + directory fsyncs).
 */
export function instrument(repo: Repo, spans: Spans): () => void {
  const undo: Array<() => void> = [];
  const journal = repo.journal as unknown as Record<string, unknown>;
  for (const m of JOURNAL_METHODS) undo.push(wrap(journal, m, `journal.${m}`, spans));
  const store = repo.store as unknown as Record<string, unknown>;
  undo.push(wrap(store, 'headVersion', 'store.headVersion', spans));
  undo.push(wrap(store, 'isHead', 'store.isHead', spans));
  undo.push(wrap(store, 'syncVersions', 'store.syncVersions', spans));
  // The record of a commit's files: read back and sha256'd (its journal part is journal.tableCommitted).
  // (`lineFiles` is a method of the store's prototype: deleting the own property restores it.)
  const lineFiles = store.lineFiles as AnyFn;
  store.lineFiles = function (this: unknown, ...args: unknown[]) {
    const f = lineFiles.apply(this, args) as object;
    wrap(f, 'digest', 'store.digest', spans);
    return f;
  };
  undo.push(() => {
    delete store.lineFiles;
  });
  // Handles come from openTable (fresh) or writerAt (kept open across operations: wrap once).
  const wrapped = new WeakSet<object>();
  for (const method of ['openTable', 'writerAt'] as const) {
    const orig = store[method] as AnyFn;
    store[method] = async function (this: unknown, ...args: unknown[]) {
      const t0 = nowMs();
      const h = (await orig.apply(this, args)) as Record<string, unknown>;
      spans.add(`store.${method}`, nowMs() - t0);
      if (!wrapped.has(h)) {
        wrapped.add(h);
        wrap(h, 'mergeInsert', 'lance.mergeInsert', spans);
        wrap(h, 'append', 'lance.append', spans);
      }
      return h;
    };
    undo.push(() => {
      delete store[method];
    });
  }
  const origFsync = fs.fsyncSync;
  fs.fsyncSync = (fd: number) => {
    const t0 = nowMs();
    origFsync(fd);
    spans.add('fs.fsync', nowMs() - t0);
  };
  syncBuiltinESMExports();
  undo.push(() => {
    fs.fsyncSync = origFsync;
    syncBuiltinESMExports();
  });
  return () => {
    for (const u of undo.reverse()) u();
  };
}

/**
 * Per-operation totals of each span (sum over one op), median over ops: `spans`
 * collected op by op with `perOp.next()` between operations.
 */
export class PerOp {
  private readonly ops: Array<Map<string, number>> = [];
  private cur = new Map<string, number>();
  readonly spans = new Spans();
  constructor() {
    const add = this.spans.add.bind(this.spans);
    this.spans.add = (name: string, ms: number) => {
      add(name, ms);
      this.cur.set(name, (this.cur.get(name) ?? 0) + ms);
      this.cur.set(`${name}#n`, (this.cur.get(`${name}#n`) ?? 0) + 1);
    };
  }
  next(totalMs: number): void {
    this.cur.set('total', totalMs);
    this.ops.push(this.cur);
    this.cur = new Map();
  }
  /** Median per-op ms per span, and calls per op (`#n`). */
  medians(): Record<string, number> {
    const keys = new Set(this.ops.flatMap((m) => [...m.keys()]));
    const out: Record<string, number> = {};
    for (const k of [...keys].sort()) {
      const xs = this.ops.map((m) => m.get(k) ?? 0).sort((a, b) => a - b);
      out[k] = Number(xs[xs.length >> 1].toFixed(3));
    }
    return out;
  }
}
