import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/journal/index.js';
import { newJournal, tempRepo, track } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'publisher.ts');

interface Outcome {
  ok: boolean;
  code?: string;
  manifestVersion?: number;
  details?: Record<string, unknown>;
}

function runChild(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`publisher exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Outcome);
      } catch {
        reject(new Error(`publisher printed no outcome: ${out} ${err}`));
      }
    });
  });
}

/** Starts both children, waits until both opened the journal, then releases them at once. */
async function race(repo: string, a: [string, number], b: [string, number]): Promise<Outcome[]> {
  const barrier = mkdtempSync(join(repo, 'barrier-'));
  const runs = [
    runChild([repo, a[0], String(a[1]), barrier, 'a']),
    runChild([repo, b[0], String(b[1]), barrier, 'b']),
  ];
  const deadline = Date.now() + 30_000;
  while (!(existsSync(join(barrier, 'ready-a')) && existsSync(join(barrier, 'ready-b')))) {
    if (Date.now() > deadline) throw new Error('children never became ready');
    await sleep(5);
  }
  writeFileSync(join(barrier, 'go'), '');
  return Promise.all(runs);
}

describe('publish across processes', () => {
  it('same table from the same expected version: exactly one wins, the other gets ExpectedVersionMismatch', async () => {
    const repo = tempRepo();
    newJournal(repo).close();
    for (let round = 0; round < 3; round++) {
      const expected = 1 + round;
      const outcomes = await race(repo, ['node:Person', expected], ['node:Person', expected]);
      const winners = outcomes.filter((o) => o.ok);
      const losers = outcomes.filter((o) => !o.ok);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0].code).toBe('ExpectedVersionMismatch');
      expect(losers[0].details).toMatchObject({
        table_key: 'node:Person',
        expected,
        actual: expected + 1,
      });
      expect(winners[0].manifestVersion).toBe(2 + round);
    }
    const j = track(Journal.open(repo));
    expect(j.latestPins('main').find((p) => p.tableKey === 'node:Person')?.version).toBe(4);
    expect(j.listCommits({ branch: 'main' })).toHaveLength(4);
    expect(j.verify()).toMatchObject({ ok: true, differences: [] });
  });

  it('different tables: both win, each on its own manifest version, neither pin lost', async () => {
    const repo = tempRepo();
    newJournal(repo).close();
    const outcomes = await race(repo, ['node:Person', 1], ['node:Company', 1]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(outcomes.map((o) => o.manifestVersion).sort()).toEqual([2, 3]);
    const j = track(Journal.open(repo));
    const pins = Object.fromEntries(j.latestPins('main').map((p) => [p.tableKey, p.version]));
    expect(pins).toEqual({ 'node:Person': 2, 'node:Company': 2, 'edge:WorksAt': 1 });
    expect(j.verify().ok).toBe(true);
  });
});
