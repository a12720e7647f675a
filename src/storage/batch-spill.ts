/**
 * Record batches spilled to a scratch file and read back one at a time, so a chunked
 * load holds one batch per table in memory between reading its file and committing
 * it (docs/writes.md §Chunked loads). Each batch is one Arrow IPC stream, prefixed by
 * its length; it is read back into lancedb's arrow instance, ready for a commit.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type * as Arrow from 'apache-arrow';
import { lanceArrow } from './arrow-bridge.js';

export class BatchSpill {
  private fd: number | null;
  private bytes = 0;
  /** Rows written. */
  rows = 0;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  /** Appends a batch (of lancedb's arrow instance: staged rows, see rowsToLance). */
  append(batch: Arrow.RecordBatch): void {
    const a = lanceArrow();
    const ipc = a.tableToIPC(new a.Table(batch as never), 'stream');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(ipc.byteLength, 0);
    writeSync(this.fd!, head, 0, 4, this.bytes);
    writeSync(this.fd!, ipc, 0, ipc.byteLength, this.bytes + 4);
    this.bytes += 4 + ipc.byteLength;
    this.rows += batch.numRows;
  }

  /** The batches in the order they were appended, read one at a time. */
  *batches(): IterableIterator<Arrow.RecordBatch> {
    const a = lanceArrow();
    const head = Buffer.alloc(4);
    let at = 0;
    while (at < this.bytes) {
      readSync(this.fd!, head, 0, 4, at);
      const n = head.readUInt32LE(0);
      const ipc = Buffer.allocUnsafe(n);
      readSync(this.fd!, ipc, 0, n, at + 4);
      at += 4 + n;
      for (const b of a.tableFromIPC(ipc).batches) yield b as unknown as Arrow.RecordBatch;
    }
  }

  /** Closes and deletes the file. */
  dispose(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}
