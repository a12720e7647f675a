/**
 * Every data command with `--server` against a real `lancelog serve` (a child process)
 * prints what the local command prints on the same repo, byte for byte, with the same
 * exit status — results and errors alike. Writes run on two copies of one repo (the local
 * command on one, the server on the other), so their new ids and times are masked before
 * the comparison; everything else is compared exactly. (docs/cli.md "Talking to a server".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeFixtureRepo, MUTATIONS_GQ, spawnServer, type ChildServer } from '../helpers/server.js';

const TOKEN = 'remote-commands-test-token-0123456789';
/** The remote runs' environment: the token, and no operator config from the test's HOME. */
const REMOTE_ENV = { LANCELOG_TOKEN: TOKEN, LANCELOG_CONFIG: '', LANCELOG_PROFILE: '' };
const remoteCli = (args: string[]) => runCli(args, REMOTE_ENV);
const TEST_GQ = join(FIXTURES_DIR, 'omnigraph', 'test.gq');
const TEST_PG = join(FIXTURES_DIR, 'omnigraph', 'test.pg');

let root: string;
let served: string;
let copy: string;
let srv: ChildServer;
let mutations: string;
let schemaV2: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-remote-cli-'));
  served = await makeFixtureRepo(join(root, 'served'));
  const repo = await Repo.open(served);
  try {
    repo.createBranch('feat');
    await repo.change({
      source: MUTATIONS_GQ,
      file: 'mutations.gq',
      name: 'add_person',
      params: { name: 'Feat', age: 7 },
      branch: 'feat',
      actor: 'alice',
    });
  } finally {
    await repo.close();
  }
  // The copy for the local side of each write: the same state, byte for byte.
  copy = join(root, 'copy');
  cpSync(served, copy, { recursive: true });
  mutations = join(root, 'mutations.gq');
  writeFileSync(mutations, MUTATIONS_GQ);
  schemaV2 = join(root, 'v2.pg');
  writeFileSync(
    schemaV2,
    readFileSync(TEST_PG, 'utf8').replace(/node Person \{/, 'node Person {\n  bio: String?'),
  );
  // Served writes record the token's actor: `lancelog`, the local commands' default.
  srv = await spawnServer(served, {
    LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ lancelog: TOKEN }),
  });
}, 300_000);

afterAll(async () => {
  srv?.child.kill('SIGTERM');
  await srv?.exited;
  rmSync(root, { recursive: true, force: true });
});

/** What a run printed and how it ended. */
const outcome = (r: CliResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** The same command on the repo directory and through the server. */
async function both(args: string[], localDir = served): Promise<[CliResult, CliResult]> {
  // Side by side: the two runs do not depend on each other.
  return Promise.all([runCli([...args, localDir]), remoteCli([...args, '--server', srv.url])]);
}

/** New ULIDs, times and microsecond stamps differ between two copies' writes. */
function masked(text: string): string {
  return text
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, '<ulid>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\b\d{16}\b/g, '<us>');
}

const READS: string[][] = [
  ['read', '--query', TEST_GQ, '--name', 'adults', '--format', 'json'],
  ['query', '--query', TEST_GQ, '--name', 'adults', '--format', 'jsonl'],
  [
    'query',
    '--query',
    TEST_GQ,
    '--name',
    'friends_of',
    '--params',
    '{"name":"Alice"}',
    '--format',
    'csv',
  ],
  ['query', '--query', TEST_GQ, '--name', 'friend_counts', '--format', 'table'],
  ['query', '--query', TEST_GQ, '--name', 'age_stats', '--format', 'kv'],
  ['query', '--query', TEST_GQ, '--name', 'adults', '--branch', 'feat', '--json'],
  ['query', '--query', TEST_GQ, '--name', 'adults', '--version', '1', '--json'],
  ['export'],
  ['export', '--type', 'Knows', '--type', 'Person'],
  ['export', '--branch', 'feat'],
  ['snapshot'],
  ['snapshot', '--json'],
  ['snapshot', '--branch', 'feat', '--json'],
  ['branch', 'list'],
  ['branch', 'list', '--json'],
  ['commit', 'list'],
  ['commit', 'list', '--json'],
  ['commit', 'list', '--branch', 'feat', '--filter', 'actor=alice', '--limit', '1', '--json'],
  ['schema', 'show'],
  ['schema', 'show', '--json'],
  ['schema', 'plan', '--schema', schemaV2Path()],
  ['schema', 'plan', '--schema', schemaV2Path(), '--json'],
];

/** The v2 schema's path before beforeAll has run (READS is built at collection). */
function schemaV2Path(): string {
  return '<v2>';
}

const FAILURES: Array<[string, string[], number, string]> = [
  ['BranchNotFound', ['snapshot', '--branch', 'nope', '--json'], 1, 'BranchNotFound'],
  ['QueryNotFound', ['query', '--query', TEST_GQ, '--name', 'nope'], 1, 'QueryNotFound'],
  [
    'a parameter of the wrong type',
    ['query', '--query', TEST_GQ, '--name', 'get_person', '--params', '{"name":3}', '--json'],
    1,
    'ParamType',
  ],
  [
    'a lost compare-and-swap (exit 4)',
    [
      'mutate',
      '--query',
      '<mutations>',
      '--name',
      'add_person',
      '--params',
      '{"name":"X","age":1}',
      '--if-commit',
      '01JAAAAAAAAAAAAAAAAAAAAAAA',
      '--json',
    ],
    4,
    'PreconditionFailed',
  ],
  ['UnknownType in an export', ['export', '--type', 'Nope'], 1, 'UnknownType'],
];

const fill = (args: string[]) =>
  args.map((a) => (a === '<v2>' ? schemaV2 : a === '<mutations>' ? mutations : a));

describe('data commands with --server print what the local command prints', () => {
  it('reads: every format of query/read, export, snapshot, branch list, commit list, schema show and plan — byte for byte', async () => {
    for (const raw of READS) {
      const args = fill(raw);
      const [local, remote] = await both(args);
      expect(local.code, `${args.join(' ')}: ${local.stderr}`).toBe(0);
      expect(outcome(remote), args.join(' ')).toEqual(outcome(local));
      expect(local.stdout.length, args.join(' ')).toBeGreaterThan(0);
    }
  }, 900_000);

  it('failures carry the same typed code, message and exit status (1, and 4 for a lost --if-commit)', async () => {
    for (const [what, raw, exit, code] of FAILURES) {
      const args = fill(raw);
      const [local, remote] = await both(args);
      expect(local.code, what).toBe(exit);
      expect(`${local.stdout}${local.stderr}`, what).toContain(code);
      expect(outcome(remote), what).toEqual(outcome(local));
    }
  }, 600_000);

  it('export --out writes the same file and summary', async () => {
    const out = join(root, 'out.jsonl');
    const local = await runCli(['export', '--out', out, '--json', served]);
    const localFile = readFileSync(out, 'utf8');
    rmSync(out);
    const remote = await remoteCli(['export', '--out', out, '--json', '--server', srv.url]);
    expect(outcome(remote)).toEqual(outcome(local));
    expect(readFileSync(out, 'utf8')).toBe(localFile);
  }, 300_000);

  it('writes: mutate/change, branch create and delete print the same (new ids and times masked)', async () => {
    const writes: string[][] = [
      [
        'mutate',
        '--query',
        mutations,
        '--name',
        'add_person',
        '--params',
        '{"name":"Zed","age":3}',
      ],
      [
        'change',
        '--query',
        mutations,
        '--name',
        'set_age',
        '--params',
        '{"name":"Zed","age":4}',
        '--json',
      ],
      ['branch', 'create', 'exp', '--from', 'feat', '--json'],
      [
        'mutate',
        '--query',
        mutations,
        '--name',
        'add_person',
        '--params',
        '{"name":"Exp","age":1}',
        '--branch',
        'exp',
        '--json',
      ],
      ['branch', 'delete', 'exp', '--json'],
      ['branch', 'list'],
      ['commit', 'list', '--json'],
    ];
    for (const args of writes) {
      const [local, remote] = await both(args, copy);
      expect(local.code, `${args.join(' ')}: ${local.stderr}`).toBe(0);
      const show = (r: CliResult) => ({ ...outcome(r), stdout: masked(r.stdout) });
      expect(show(remote), args.join(' ')).toEqual(show(local));
    }
  }, 900_000);
});

describe('--graph: the same routes under /graphs/{id}/', () => {
  it('the repo of `serve REPO` as graph `default` prints what the local command prints', async () => {
    for (const args of [
      ['snapshot', '--json'],
      ['branch', 'list'],
      ['commit', 'list', '--json'],
      ['schema', 'show', '--json'],
      ['query', '--query', TEST_GQ, '--name', 'adults', '--format', 'csv'],
    ]) {
      const [local, remote] = await Promise.all([
        runCli([...args, served]),
        remoteCli([...args, '--server', srv.url, '--graph', 'default']),
      ]);
      expect(local.code, args.join(' ')).toBe(0);
      expect(outcome(remote), args.join(' ')).toEqual(outcome(local));
    }
    const none = await remoteCli(['snapshot', '--server', srv.url, '--graph', 'nope', '--json']);
    expect(none.code).toBe(1);
  }, 300_000);
});

describe('what a server cannot do, said so', () => {
  it('maintenance verbs are local-only: LocalOnlyCommand, exit 2, nothing done', async () => {
    for (const args of [['optimize'], ['cleanup', '--keep', '1'], ['doctor'], ['recover']]) {
      const r = await remoteCli([...args, '--server', srv.url, '--json']);
      expect(r.code, args[0]).toBe(2);
      expect(r.json()).toMatchObject({ code: 'LocalOnlyCommand', details: { command: args[0] } });
    }
  }, 300_000);

  it('time travel the HTTP API cannot express is RemoteUnsupported (exit 2), never an approximation', async () => {
    for (const [args, option] of [
      [['snapshot', '--version', '1'], '--version'],
      [['export', '--commit', 'x'], '--commit'],
      [['branch', 'create', 'old', '--version', '1'], '--version'],
    ] as const) {
      const r = await remoteCli([...args, '--server', srv.url, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.json()).toMatchObject({ code: 'RemoteUnsupported', details: { option } });
    }
  }, 300_000);

  it('a server that does not answer is ServerUnreachable; a repo and --server together is a UsageError', async () => {
    const down = await remoteCli(['snapshot', '--server', 'http://127.0.0.1:9', '--json']);
    expect(down.code).toBe(1);
    expect(down.json()).toMatchObject({ code: 'ServerUnreachable' });
    const twice = await runCli(['snapshot', served, '--server', srv.url]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('give a repo or --server, not both');
    const actor = await remoteCli([
      'mutate',
      '--query',
      mutations,
      '--name',
      'add_person',
      '--params',
      '{"name":"A","age":1}',
      '--actor',
      'bob',
      '--server',
      srv.url,
    ]);
    expect(actor.code).toBe(2);
    expect(actor.stderr).toContain('--actor is not accepted on a served write');
  }, 300_000);
});
