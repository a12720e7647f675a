/**
 * The power-loss audit: replays an `strace -f -y` log of file-system calls and checks,
 * at every fsync of the journal (`_lancelog.db-wal` / `_lancelog.db`), that every Lance
 * file written so far was itself fsync'd after its last write, and that every directory
 * entry created, renamed or removed under a Lance table was made durable by an fsync
 * of its directory afterwards.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fdPath, parseStrace, pathArgs, type SysCall } from '../../src/drill/strace.js';

export { parseStrace, type SysCall };

const execFileAsync = promisify(execFile);

/** The system calls the audit needs (strace `-e trace=`). */
export const TRACED_CALLS = [
  'open',
  'openat',
  'creat',
  'write',
  'pwrite64',
  'writev',
  'pwritev',
  'pwritev2',
  'ftruncate',
  'truncate',
  'fallocate',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'unlink',
  'unlinkat',
  'mkdir',
  'mkdirat',
  'rmdir',
  'fsync',
  'fdatasync',
  'syncfs',
  'sync',
].join(',');

export async function straceAvailable(): Promise<boolean> {
  try {
    // Tracing must work too (ptrace may be forbidden in a container).
    await execFileAsync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']);
    return true;
  } catch {
    return false;
  }
}

/** The strace arguments that write the log the audit reads to `logFile`. */
export function straceArgs(logFile: string): string[] {
  // -y: paths of fds; -s 0: no buffer contents (paths are printed in full regardless).
  return ['-f', '-qq', '-y', '-s', '0', '-o', logFile, '-e', `trace=${TRACED_CALLS}`];
}

export interface Violation {
  /** Index of the journal fsync in the call list. */
  at: number;
  kind: 'content' | 'entry';
  path: string;
}

export interface AuditResult {
  /** Journal fsyncs checked. */
  checkpoints: number;
  /** Lance files written during the trace that still exist at its end (temp names excluded). */
  lanceFilesWritten: Set<string>;
  /** Lance files fsync'd at least once. */
  lanceFilesSynced: Set<string>;
  violations: Violation[];
}

const isLance = (p: string) => /\.lance(\/|$)/.test(p);
const isJournal = (p: string) => /\/_lancelog\.db(-wal)?$/.test(p);

/**
 * Which journal fsyncs are checked. `every`: all of them — right for init and for
 * one-table writes, whose only journal fsync after a Lance write is the publish.
 * `publish`: the journal fsync just before a sidecar is removed (a writer's publish; a
 * recovery's `recovery.applied`, which follows its publish with no Lance write between)
 * and the last journal fsync of the trace. Multi-table writes and recoveries fsync
 * journal events between Lance commits (`table.committed`, `recovery.classified`),
 * when nothing is published yet.
 */
export type Checkpoints = 'every' | 'publish';

const isSidecar = (p: string) => /\/__recovery\/[^/]+\.json$/.test(p);

/** Indexes of the journal fsyncs to check. */
function checkpointsOf(calls: SysCall[], mode: Checkpoints): Set<number> {
  const journalFsyncs: number[] = [];
  const out = new Set<number>();
  let last: number | null = null;
  for (const [i, c] of calls.entries()) {
    if (c.result.startsWith('-1')) continue;
    if ((c.name === 'fsync' || c.name === 'fdatasync') && isJournal(fdPath(c.args) ?? '')) {
      journalFsyncs.push(i);
      last = i;
    } else if (c.name.startsWith('unlink') && last !== null && isSidecar(pathArgs(c)[0] ?? '')) {
      out.add(last);
      last = null;
    }
  }
  if (mode === 'every') return new Set(journalFsyncs);
  if (journalFsyncs.length > 0) out.add(journalFsyncs[journalFsyncs.length - 1]);
  return out;
}

/**
 * Audits a log (several logs may be concatenated: a crashed writer's, then its
 * recovery's — what the first left unsynced must be synced by the second).
 */
export function auditStrace(calls: SysCall[], mode: Checkpoints = 'every'): AuditResult {
  const checkpoints = checkpointsOf(calls, mode);
  /** Files whose content was written after their last fsync. */
  const dirtyContent = new Set<string>();
  /** Directory -> entries changed after its last fsync. */
  const dirtyEntries = new Map<string, Set<string>>();
  const result: AuditResult = {
    checkpoints: 0,
    lanceFilesWritten: new Set(),
    lanceFilesSynced: new Set(),
    violations: [],
  };
  const entryChanged = (p: string) => {
    const d = dirname(p);
    let s = dirtyEntries.get(d);
    if (!s) dirtyEntries.set(d, (s = new Set()));
    s.add(basename(p));
  };
  const written = (p: string) => {
    dirtyContent.add(p);
    if (isLance(p)) result.lanceFilesWritten.add(p);
  };
  for (const [i, call] of calls.entries()) {
    if (call.result.startsWith('-1')) continue; // failed calls change nothing
    const { name } = call;
    if (
      ['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2', 'ftruncate', 'fallocate'].includes(
        name,
      )
    ) {
      const p = fdPath(call.args);
      if (p) written(p);
    } else if (name === 'open' || name === 'openat' || name === 'creat') {
      const flags = call.args;
      const p = /^-?\d+<([^>]*)>/.exec(call.result)?.[1];
      if (p && (name === 'creat' || /O_CREAT/.test(flags))) entryChanged(p);
      if (p && (name === 'creat' || /O_TRUNC/.test(flags))) written(p);
    } else if (['rename', 'renameat', 'renameat2', 'link', 'linkat'].includes(name)) {
      const [from, to] = pathArgs(call);
      if (from === undefined || to === undefined) continue;
      entryChanged(to);
      if (name.startsWith('rename')) {
        entryChanged(from);
        // Unsynced content moves with the rename.
        if (dirtyContent.delete(from)) written(to);
        result.lanceFilesWritten.delete(from);
      } else if (dirtyContent.has(from)) written(to);
    } else if (['unlink', 'unlinkat', 'rmdir', 'mkdir', 'mkdirat', 'truncate'].includes(name)) {
      const [p] = pathArgs(call);
      if (p === undefined) continue;
      if (name === 'truncate') written(p);
      else entryChanged(p);
      if (name.startsWith('unlink')) {
        dirtyContent.delete(p);
        result.lanceFilesWritten.delete(p);
      }
    } else if (name === 'fsync' || name === 'fdatasync') {
      const p = fdPath(call.args);
      if (!p) continue;
      if (checkpoints.has(i)) {
        result.checkpoints++;
        for (const f of dirtyContent)
          if (isLance(f)) result.violations.push({ at: i, kind: 'content', path: f });
        for (const [d, names] of dirtyEntries)
          for (const n of names)
            if (isLance(join(d, n)))
              result.violations.push({ at: i, kind: 'entry', path: join(d, n) });
      }
      dirtyContent.delete(p);
      if (isLance(p)) result.lanceFilesSynced.add(p);
      // fdatasync does not promise a directory's entries; Lancelog never uses it on one.
      if (name === 'fsync') dirtyEntries.delete(p);
    } else if (name === 'sync' || name === 'syncfs') {
      dirtyContent.clear();
      dirtyEntries.clear();
    }
  }
  return result;
}

export async function auditStraceFiles(
  files: string[],
  mode: Checkpoints = 'every',
): Promise<AuditResult> {
  const calls: SysCall[] = [];
  for (const f of files) calls.push(...parseStrace(await readFile(f, 'utf8')));
  return auditStrace(calls, mode);
}
