/**
 * The order of one exported table in bounded memory: lines are kept in memory while
 * a table is small, and moved to an external sort (journal/sort-spill.ts, a scratch
 * SQLite file) once it passes `inMemoryRows` rows or 4 Mi characters, so an export
 * holds at most that much of a table whatever its size (docs/writes.md §JSONL export).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SortSpill } from '../../journal/index.js';

/** Lines of one table sorted in memory before the sort moves to a scratch file. */
export const EXPORT_SORT_IN_MEMORY_ROWS = 16_384;
/** Characters (lines and keys) of one table held in memory before the sort moves to a scratch file. */
const IN_MEMORY_CHARS = 4 * 1024 * 1024;

interface Keyed {
  keys: readonly string[];
  line: string;
}

/** UTF-16 code-unit order, key by key (the order SortSpill gives). */
function compareKeys(a: Keyed, b: Keyed): number {
  for (let i = 0; i < a.keys.length; i++) {
    const x = a.keys[i];
    const y = b.keys[i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export class LineSorter {
  private inMemory: Keyed[] = [];
  private inMemoryChars = 0;
  private spill: SortSpill | null = null;
  private dir: string | null = null;

  constructor(
    private readonly keyCount: number,
    private readonly inMemoryRows = EXPORT_SORT_IN_MEMORY_ROWS,
  ) {}

  /** Whether the lines went to a scratch file (the table was larger than inMemoryRows). */
  get spilled(): boolean {
    return this.spill !== null;
  }

  add(keys: readonly string[], line: string): void {
    if (this.spill) return this.spill.add(keys, line);
    this.inMemory.push({ keys, line });
    this.inMemoryChars += line.length;
    for (const k of keys) this.inMemoryChars += k.length;
    if (this.inMemory.length <= this.inMemoryRows && this.inMemoryChars <= IN_MEMORY_CHARS) return;
    this.dir = mkdtempSync(join(tmpdir(), 'lancelog-export-'));
    const spill = (this.spill = SortSpill.open(this.dir, this.keyCount));
    for (const k of this.inMemory) spill.add(k.keys, k.line);
    this.inMemory = [];
    this.inMemoryChars = 0;
  }

  /** The lines in key order (a stable sort: equal keys keep the order added). */
  *sorted(): IterableIterator<string> {
    if (this.spill) {
      yield* this.spill.sorted();
      return;
    }
    this.inMemory.sort(compareKeys);
    for (const k of this.inMemory) yield k.line;
  }

  /** Releases the lines and deletes the scratch file, if any. */
  close(): void {
    this.inMemory = [];
    try {
      this.spill?.close();
    } finally {
      this.spill = null;
      if (this.dir) rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }
}
