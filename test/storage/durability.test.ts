/**
 * Power-loss durability, audited with strace: real CLI processes are traced
 * (`strace -f -y`) and, at every fsync of the journal, every Lance file written so far
 * must have been fsync'd after its last write and every directory entry made under a
 * Lance table must have been fsync'd in its directory (test/helpers/strace-audit.ts).
 * Skipped, with a message, where strace is not installed (CI installs it: .ci/run).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { CLI_ENTRY, ROOT } from '../helpers/cli.js';
import { nodeArgsFor } from '../helpers/bundle.js';
import { useTmpDirs } from '../helpers/tmp.js';
import {
  auditStrace,
  auditStraceFiles,
  parseStrace,
  straceArgs,
  straceAvailable,
  type AuditResult,
} from '../helpers/strace-audit.js';

const execFileAsync = promisify(execFile);
const hasStrace = await straceAvailable();
if (!hasStrace)
  console.warn(
    'test/storage/durability.test.ts: strace is not installed; the power-loss audit is skipped',
  );

const SCHEMA = join(ROOT, 'test', 'fixtures', 'omnigraph', 'test.pg');
const DATA = join(ROOT, 'test', 'fixtures', 'omnigraph', 'test.jsonl');
const QUERIES = `
query add_person($name: String, $age: I32) {
    insert Person { name: $name, age: $age }
}
query set_age($name: String, $age: I32) {
    update Person set { age: $age } where name = $name
}
`;

/** Runs the CLI (from source) under strace; resolves with its exit code or signal. */
async function tracedCli(
  log: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null }> {
  const cli = [process.execPath, ...(await nodeArgsFor(CLI_ENTRY)), ...args];
  try {
    await execFileAsync('strace', [...straceArgs(log), ...cli], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, signal: null };
  } catch (err) {
    const e = err as { code?: number; signal?: string; stderr?: string };
    // strace exits with the traced process's status (a SIGKILL'ed child: 128 + 9).
    return { code: e.code ?? null, signal: e.signal ?? null };
  }
}

function expectDurable(audit: AuditResult, minLanceFiles: number, step: string): void {
  expect(audit.violations, step).toEqual([]);
  expect(audit.checkpoints, step).toBeGreaterThan(0);
  // The trace saw real Lance writes (data, transaction, manifest…), so the check bit.
  expect(audit.lanceFilesWritten.size, step).toBeGreaterThanOrEqual(minLanceFiles);
  for (const f of audit.lanceFilesWritten) expect(audit.lanceFilesSynced, step).toContain(f);
}

describe.skipIf(!hasStrace)('power-loss durability (strace audit)', () => {
  const tmp = useTmpDirs();

  async function initRepo(dir: string): Promise<{ repo: string; gq: string }> {
    const repo = join(dir, 'repo');
    const gq = join(dir, 'm.gq');
    writeFileSync(gq, QUERIES);
    const log = join(dir, 'init.strace');
    expect((await tracedCli(log, ['init', '--schema', SCHEMA, repo])).code).toBe(0);
    // Table creation: every table's first manifest and the directories up to the repo.
    expectDurable(await auditStraceFiles([log]), 4, 'init');
    return { repo, gq };
  }

  it('init, load, insert, update and a branch fork fsync every Lance file before each publish', async () => {
    const dir = tmp();
    const { repo, gq } = await initRepo(dir);
    // A load commits 4 tables: its table.committed events are fsync'd between commits.
    const load = join(dir, 'load.strace');
    expect((await tracedCli(load, ['load', '--data', DATA, '--mode', 'merge', repo])).code).toBe(0);
    expectDurable(await auditStraceFiles([load], 'publish'), 4 * 3, 'load');
    // One-table writes: every journal fsync after a Lance write must find it durable.
    const steps: Array<[string, string[], number]> = [
      [
        'insert',
        [
          'change',
          '--query',
          gq,
          '--name',
          'add_person',
          '--params',
          '{"name":"Zed","age":3}',
          repo,
        ],
        3,
      ],
      // mergeInsert: a new fragment and a deletion file for the replaced row.
      [
        'update',
        [
          'change',
          '--query',
          gq,
          '--name',
          'set_age',
          '--params',
          '{"name":"Alice","age":31}',
          repo,
        ],
        4,
      ],
      ['branch', ['branch', 'create', 'feat', repo], 0],
      // First write to a branch: the lazy fork (tree/<branch>/, _refs/branches/) and the commit.
      [
        'fork',
        [
          'change',
          '--branch',
          'feat',
          '--query',
          gq,
          '--name',
          'set_age',
          '--params',
          '{"name":"Bob","age":40}',
          repo,
        ],
        5,
      ],
    ];
    for (const [name, args, minFiles] of steps) {
      const log = join(dir, `${name}.strace`);
      expect((await tracedCli(log, args)).code, name).toBe(0);
      const audit = await auditStraceFiles([log]);
      if (minFiles === 0) expect(audit.violations, name).toEqual([]);
      else expectDurable(audit, minFiles, name);
    }
  }, 600_000);

  it('recovery makes a crashed writer’s commit durable before rolling it forward', async () => {
    const dir = tmp();
    const { repo, gq } = await initRepo(dir);
    const writerLog = join(dir, 'writer.strace');
    const crashed = await tracedCli(
      writerLog,
      ['change', '--query', gq, '--name', 'add_person', '--params', '{"name":"Kim","age":9}', repo],
      { LANCELOG_FAILPOINTS: 'write.after_table_commit=crash@1' },
    );
    expect(crashed.code).not.toBe(0);
    const recoverLog = join(dir, 'recover.strace');
    expect((await tracedCli(recoverLog, ['recover', '--json', repo])).code).toBe(0);
    // One audit over both: what the writer left unsynced must be synced by the recovery.
    expectDurable(await auditStraceFiles([writerLog, recoverLog], 'publish'), 3, 'roll-forward');
    const { stdout } = await execFileAsync(
      process.execPath,
      [...(await nodeArgsFor(CLI_ENTRY)), 'recovery', 'list', '--json', repo],
      { cwd: ROOT },
    );
    expect(stdout).toContain('RollForward');
  }, 600_000);

  it('recovery fsyncs its restores before publishing them', async () => {
    const dir = tmp();
    const { repo } = await initRepo(dir);
    // A load crashes after its first table's commit: recovery restores that table.
    const crashed = await tracedCli(
      join(dir, 'writer.strace'),
      ['load', '--data', DATA, '--mode', 'merge', repo],
      // Phase B commits tables concurrently: the second table's commit is held back.
      {
        LANCELOG_FAILPOINTS: `write.after_table_commit=crash@1;${HOLD_BACK_LATER_TABLE_COMMITS}`,
      },
    );
    expect(crashed.code).not.toBe(0);
    const recoverLog = join(dir, 'recover.strace');
    expect((await tracedCli(recoverLog, ['recover', '--json', repo])).code).toBe(0);
    // The restore writes a manifest, a transaction file and the version hint.
    expectDurable(await auditStraceFiles([recoverLog], 'publish'), 2, 'restore');
    const { stdout } = await execFileAsync(
      process.execPath,
      [...(await nodeArgsFor(CLI_ENTRY)), 'recovery', 'list', '--json', repo],
      { cwd: ROOT },
    );
    expect(stdout).toContain('RollBack');
  }, 600_000);
});

describe('the strace audit itself', () => {
  const T = '/r/nodes/a.lance';
  const log = (lines: string[]) => lines.map((l) => `100 ${l}`).join('\n');

  it('finds a Lance file and a directory entry that were not fsync’d before the journal fsync', () => {
    const calls = parseStrace(
      log([
        `openat(AT_FDCWD</r>, "${T}/data/.tmp1", O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600) = 7<${T}/data/.tmp1>`,
        `write(7<${T}/data/.tmp1>, ""..., 384) = 384`,
        `renameat(AT_FDCWD</r>, "${T}/data/.tmp1", AT_FDCWD</r>, "${T}/data/x.lance") = 0`,
        `fsync(9</r/_lancelog.db-wal>) = 0`,
      ]),
    );
    const audit = auditStrace(calls);
    expect(audit.violations).toEqual([
      { at: 3, kind: 'content', path: `${T}/data/x.lance` },
      { at: 3, kind: 'entry', path: `${T}/data/.tmp1` },
      { at: 3, kind: 'entry', path: `${T}/data/x.lance` },
    ]);
  });

  it('accepts the file and its directory fsync’d, also across unfinished/resumed lines', () => {
    const calls = parseStrace(
      log([
        `openat(AT_FDCWD</r>, "${T}/data/.tmp1", O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600) = 7<${T}/data/.tmp1>`,
        `write(7<${T}/data/.tmp1>, ""..., 384) = 384`,
        `renameat(AT_FDCWD</r>, "${T}/data/.tmp1", AT_FDCWD</r>, "${T}/data/x.lance") = 0`,
        `fsync(8<${T}/data/x.lance> <unfinished ...>`,
        `<... fsync resumed>) = 0`,
        `fsync(9<${T}/data>) = 0`,
        `fsync(9</r/_lancelog.db-wal>) = 0`,
      ]),
    );
    const audit = auditStrace(calls);
    expect(audit.violations).toEqual([]);
    expect(audit.checkpoints).toBe(1);
    expect([...audit.lanceFilesWritten]).toEqual([`${T}/data/x.lance`]);
    expect(audit.lanceFilesSynced).toContain(`${T}/data/x.lance`);
  });
});
