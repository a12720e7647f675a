/**
 * Child process of snapshot-isolation.test.ts: `node --import tsx snapshot-child.ts <json>`.
 *  - writer: `count` transactions; transaction g sets A `a`.gen = g, inserts B `b<g>`
 *    (gen g) and links a → b<g>: three tables per publish.
 *  - reader: loops `repo.query` until the stop file exists; every answer must have
 *    a.gen == number of a's neighbours == the highest neighbour gen (a whole publish).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Repo } from '../../src/index.js';

interface Command {
  role: 'writer' | 'reader';
  repo: string;
  count?: number;
  stopFile?: string;
  /** The reader creates it after its first query; the writer starts when it exists. */
  readyFile: string;
}

export const SNAP_GQ = `query snap() {
  match {
    $a: A { name: "a" }
    $a l $b
  }
  return { $a.gen, count($b) as n, max($b.gen) as top }
}`;

async function writer(repo: Repo, count: number, readyFile: string): Promise<unknown> {
  const deadline = Date.now() + 180_000;
  while (!existsSync(readyFile)) {
    if (Date.now() > deadline) throw new Error('the reader never became ready');
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let g = 2; g < 2 + count; g++) {
    await repo.transaction(
      async (tx) => {
        await tx.update('A', 'a', { gen: g });
        tx.insert('B', { name: `b${g}`, gen: g });
        tx.link('L', 'a', `b${g}`);
      },
      { actor: 'writer' },
    );
  }
  return { ok: true };
}

async function reader(repo: Repo, stopFile: string, readyFile: string): Promise<unknown> {
  const seen = new Set<number>();
  const violations: unknown[] = [];
  let queries = 0;
  // Keep reading until the writer is done, and at least a few times.
  while (!existsSync(stopFile) || queries < 3) {
    const out = await repo.query({ source: SNAP_GQ, file: 'snap.gq', name: 'snap' });
    queries++;
    if (queries === 1) writeFileSync(readyFile, '');
    const row = out.rows[0] as Record<string, unknown> | undefined;
    const gen = Number(row?.['a.gen']);
    const n = Number(row?.n);
    const top = Number(row?.top);
    if (out.rows.length !== 1 || gen !== n || gen !== top)
      violations.push({
        target: out.target,
        rows: out.rows.map((r) =>
          JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
        ),
      });
    else seen.add(gen);
  }
  return { ok: true, queries, seen: [...seen].sort((x, y) => x - y), violations };
}

async function main(): Promise<void> {
  const cmd = JSON.parse(process.argv[2]) as Command;
  const repo = await Repo.open(cmd.repo, cmd.role === 'reader' ? { readOnly: true } : {});
  try {
    const out =
      cmd.role === 'writer'
        ? await writer(repo, cmd.count ?? 10, cmd.readyFile)
        : await reader(repo, cmd.stopFile!, cmd.readyFile);
    process.stdout.write(JSON.stringify(out));
  } finally {
    await repo.close();
  }
}

main().catch((err: unknown) => {
  process.stdout.write(
    JSON.stringify({ ok: false, code: (err as { code?: string }).code, message: String(err) }),
  );
  process.exitCode = 1;
});
