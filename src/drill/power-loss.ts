/**
 * Power-loss simulation for the drills (docs/drills.md "Power-loss drills"): replays
 * the `strace` log of a writer killed at a failpoint over the repo as it was before the
 * writer ran, and builds the state a power cut at that instant would leave: a file has
 * the content of its last fsync (a file never fsync'd is empty), a directory has the
 * entries of its last fsync (entries never fsync'd are gone, removals never fsync'd are
 * undone). This is the most pessimistic state POSIX allows for what was not fsync'd;
 * everything fsync'd is kept. SQLite's `-shm` is dropped (rebuilt from the WAL on open).
 *
 * The log must carry full write buffers (`-s` large enough); the writer must write
 * through `write`/`pwrite64` (what Lance, SQLite and Node do), anything else under the
 * repo is refused as not simulable.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import {
  decodeString,
  failed,
  fdNumber,
  fdPath,
  pathArgs,
  stringArgs,
  type SysCall,
} from './strace.js';

/** strace options for a log the simulation can replay (followed by `-o FILE`). */
export const POWER_LOSS_STRACE = [
  '-f',
  '-qq',
  '-y',
  '-s',
  String(1 << 26),
  '-e',
  'trace=open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,ftruncate,truncate,fallocate,lseek,rename,renameat,renameat2,link,linkat,unlink,unlinkat,mkdir,mkdirat,rmdir,fsync,fdatasync,close,copy_file_range,sendfile',
];

interface FileNode {
  kind: 'file';
  /** Content now, and as of its last fsync; `pre` reads the pre-run file lazily. */
  cur?: Buffer;
  synced?: Buffer;
  pre?: string;
}
interface DirNode {
  kind: 'dir';
  cur?: Map<string, Node>;
  synced?: Map<string, Node>;
  pre?: string;
}
type Node = FileNode | DirNode;

export class NotSimulable extends Error {}

const NAMESPACE_CALLS = new Set([
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
]);

function loadDir(d: DirNode): Map<string, Node> {
  if (d.cur === undefined) {
    const entries = new Map<string, Node>();
    if (d.pre !== undefined)
      for (const e of readdirSync(d.pre, { withFileTypes: true })) {
        const pre = join(d.pre, e.name);
        entries.set(e.name, e.isDirectory() ? { kind: 'dir', pre } : { kind: 'file', pre });
      }
    d.cur = entries;
    d.synced = new Map(entries);
  }
  return d.cur;
}

function loadFile(f: FileNode): Buffer {
  if (f.cur === undefined) {
    f.cur = f.pre !== undefined ? readFileSync(f.pre) : Buffer.alloc(0);
    f.synced = f.cur;
  }
  return f.cur;
}

/** The replayed file system of one repo directory. */
class Replay {
  readonly root: DirNode;
  private readonly fds = new Map<number, { node: FileNode; pos: number; append: boolean }>();

  constructor(
    readonly repoDir: string,
    preDir: string,
  ) {
    this.root = { kind: 'dir', pre: preDir };
  }

  private inside(p: string): boolean {
    return p === this.repoDir || p.startsWith(`${this.repoDir}/`);
  }

  private parts(p: string): string[] {
    return relative(this.repoDir, p).split('/').filter(Boolean);
  }

  lookup(p: string): Node | undefined {
    let n: Node = this.root;
    for (const part of this.parts(p)) {
      if (n.kind !== 'dir') return undefined;
      const next = loadDir(n).get(part);
      if (next === undefined) return undefined;
      n = next;
    }
    return n;
  }

  private parentOf(p: string): { dir: DirNode; name: string } {
    const dir = this.lookup(dirname(p));
    if (dir?.kind !== 'dir') throw new NotSimulable(`no directory for ${p}`);
    loadDir(dir);
    return { dir, name: basename(p) };
  }

  private fileAt(p: string): FileNode {
    const n = this.lookup(p);
    if (n?.kind !== 'file') throw new NotSimulable(`no file ${p}`);
    loadFile(n);
    return n;
  }

  private write(node: FileNode, at: number, data: Buffer): void {
    const cur = loadFile(node);
    const next = Buffer.alloc(Math.max(cur.length, at + data.length));
    cur.copy(next);
    data.copy(next, at);
    node.cur = next;
  }

  /** Replays one completed call (calls outside the repo are ignored). */
  apply(c: SysCall): void {
    if (failed(c)) return;
    const { name } = c;
    if (name === 'open' || name === 'openat' || name === 'creat') this.applyOpen(c);
    else if (name === 'close') {
      const fd = fdNumber(c.args);
      if (fd !== null) this.fds.delete(fd);
    } else if (NAMESPACE_CALLS.has(name)) this.applyNamespace(c);
    else {
      const path = fdPath(c.args) ?? (name === 'truncate' ? pathArgs(c)[0] : null);
      if (path === null || !this.inside(path)) return;
      if (name === 'fsync' || name === 'fdatasync') this.applyFsync(name, path);
      else if (['write', 'pwrite64', 'lseek', 'ftruncate'].includes(name)) this.applyWrite(c, path);
      else if (!path.endsWith('-shm'))
        throw new NotSimulable(`${name} on ${path} is not simulated`);
    }
  }

  private applyOpen(c: SysCall): void {
    const p = fdPath(c.result);
    if (p === null || !this.inside(p) || p === this.repoDir) return;
    const { dir, name: base } = this.parentOf(p);
    if (!dir.cur!.has(base))
      dir.cur!.set(base, { kind: 'file', cur: Buffer.alloc(0), synced: Buffer.alloc(0) });
    const node = dir.cur!.get(base)!;
    if (node.kind !== 'file') return;
    if (c.name === 'creat' || /O_TRUNC/.test(c.args)) {
      loadFile(node);
      node.cur = Buffer.alloc(0);
    }
    const fd = Number(/^(\d+)/.exec(c.result)![1]);
    this.fds.set(fd, { node, pos: 0, append: /O_APPEND/.test(c.args) });
  }

  private applyWrite(c: SysCall, path: string): void {
    const fd = this.fds.get(fdNumber(c.args)!);
    if (!fd) throw new NotSimulable(`${c.name} on an fd opened before the trace: ${path}`);
    if (c.name === 'lseek') {
      fd.pos = Number(c.result.split(' ')[0]);
      return;
    }
    if (c.name === 'ftruncate') {
      const len = Number(/,\s*(\d+)$/.exec(c.args)![1]);
      const next = Buffer.alloc(len);
      loadFile(fd.node).copy(next, 0, 0, len);
      fd.node.cur = next;
      return;
    }
    const [buf] = stringArgs(c.args);
    if (buf === undefined) throw new NotSimulable(`${c.name} without a buffer on ${path}`);
    const data = decodeString(buf.raw);
    if (data.length !== Number(c.result)) throw new NotSimulable(`short ${c.name} on ${path}`);
    if (c.name === 'pwrite64') {
      this.write(fd.node, Number(/,\s*(\d+)$/.exec(c.args)![1]), data);
      return;
    }
    const at = fd.append ? loadFile(fd.node).length : fd.pos;
    this.write(fd.node, at, data);
    fd.pos = at + data.length;
  }

  private applyFsync(name: string, path: string): void {
    const n = this.lookup(path);
    if (n?.kind === 'file') n.synced = loadFile(n);
    // fdatasync promises a file's data, not a directory's entries.
    else if (n?.kind === 'dir' && name === 'fsync') n.synced = new Map(loadDir(n));
  }

  private applyNamespace(c: SysCall): void {
    const { name } = c;
    const paths = pathArgs(c);
    if (!paths.some((p) => this.inside(p))) return;
    if (name.startsWith('rename') || name.startsWith('link')) {
      const [from, to] = paths;
      const src = this.parentOf(from);
      const node = src.dir.cur!.get(src.name);
      if (!node) throw new NotSimulable(`${name} of a missing ${from}`);
      const dst = this.parentOf(to);
      dst.dir.cur!.set(dst.name, node);
      if (name.startsWith('rename')) src.dir.cur!.delete(src.name);
      return;
    }
    const { dir, name: base } = this.parentOf(paths[0]);
    if (name.startsWith('mkdir'))
      dir.cur!.set(base, { kind: 'dir', cur: new Map(), synced: new Map() });
    else dir.cur!.delete(base); // unlink, unlinkat, rmdir
  }
}

/** Writes the durable view of `node` (a directory's fsync'd entries, a file's fsync'd content) to `out`. */
function materialize(node: Node, out: string): void {
  if (node.kind === 'file') {
    if (node.synced !== undefined) writeFileSync(out, node.synced);
    else if (node.pre !== undefined) cpSync(node.pre, out);
    else writeFileSync(out, Buffer.alloc(0));
    return;
  }
  if (node.synced === undefined) {
    // Never touched: as it was before the writer ran.
    if (node.pre !== undefined) cpSync(node.pre, out, { recursive: true });
    else mkdirSync(out);
    return;
  }
  mkdirSync(out, { recursive: true });
  for (const [name, child] of node.synced) {
    if (name.endsWith('-shm')) continue;
    materialize(child, join(out, name));
  }
}

/**
 * Builds in `outDir` the state a power cut leaves of `repoDir`, given its state
 * before the writer ran (`preDir`, an identical copy) and the writer's strace calls.
 */
export function powerCut(repoDir: string, preDir: string, calls: SysCall[], outDir: string): void {
  if (!statSync(preDir).isDirectory()) throw new NotSimulable(`${preDir} is not a directory`);
  const replay = new Replay(repoDir, preDir);
  for (const c of calls) replay.apply(c);
  materialize(replay.root, outDir);
}
