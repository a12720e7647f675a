/**
 * `lancelog read` through the real CLI (child processes): every output format, value
 * formatting (Date, DateTime, I64 beyond 2^53, vectors, Blob, lists, whole nodes),
 * time travel, and every error path with its exit code (2 usage, 1 runtime).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as losslessParse, isSafeNumber } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { runCliAsync } from '../helpers/cli.js';
import { makeRepo } from '../helpers/repo.js';

const BIG = 9007199254740993n; // 2^53 + 1: a JS number would print ...992

const GQ = `
query everyone() {
  match { $p: Person }
  return { $p.name, $p.age, $p.born, $p.seen, $p.big, $p.score, $p.tags, $p.level, $p.photo, $p.embedding }
  order { $p.name }
}
query by_name($name: String) {
  match { $p: Person { name: $name } }
  return { $p.name, $p.age }
}
query by_big($big: I64) {
  match { $p: Person { big: $big } }
  return { $p.name, $p.big }
}
query whole($name: String) {
  match { $p: Person { name: $name } }
  return { $p }
}
query notes() {
  match { $n: Note }
  return { $n.text }
  order { $n.text }
}
query add_person($name: String) {
  insert Person { name: $name }
}
`;

let work: string;
let repoDir: string;
let gq: string;
let v1: number;
let commit1: string;

/** Parses lossless JSON: integers beyond 2^53 become bigints. */
function parseExact(text: string): any {
  return losslessParse(text, undefined, (s: string) =>
    /^-?\d+$/.test(s) && !isSafeNumber(s) ? BigInt(s) : Number(s),
  );
}

const read = (args: string[], env: Record<string, string> = {}) =>
  runCliAsync(['read', '--query', gq, ...args, repoDir], env);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lancelog-read-cli-'));
  repoDir = join(work, 'repo');
  gq = join(work, 'q.gq');
  writeFileSync(gq, GQ);
  const repo = await makeRepo(repoDir);
  try {
    const first = await repo.transaction((tx) => {
      tx.insert('Person', {
        name: 'Ada',
        age: 36,
        born: '1990-05-17',
        seen: '2024-01-02T03:04:05.678Z',
        score: 1.5,
        big: BIG,
        tags: ['x', 'y, z'],
        level: 'senior',
        photo: Buffer.from([1, 2, 3, 255]).toString('base64'),
        embedding: [0.1, 0.2, 0.3],
      });
      tx.insert('Person', { name: 'Bob, "B"' });
      tx.insert('Note', { text: 'two\nlines, "quoted"' });
      tx.insert('Note', { text: '' });
    });
    v1 = first.manifestVersion!;
    commit1 = first.commitId!;
    await repo.transaction(async (tx) => {
      await tx.update('Person', 'Ada', { age: 37 });
    });
  } finally {
    await repo.close();
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lancelog read: formats', () => {
  it('--json: the ReadOutput object, values formatted by type, I64 exact', async () => {
    const r = await read(['--name', 'everyone', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"p.big": 9007199254740993');
    const doc = parseExact(r.stdout);
    expect(Object.keys(doc)).toEqual([
      'query_name',
      'target',
      'row_count',
      'columns',
      'column_types',
      'rows',
    ]);
    expect(doc.query_name).toBe('everyone');
    expect(doc.target).toMatchObject({ branch: 'main', manifest_version: v1 + 1 });
    expect(doc.target.snapshot).toBe(doc.target.commit_id);
    expect(doc.row_count).toBe(2);
    expect(doc.columns[0]).toBe('p.name');
    expect(doc.column_types).toContain('Vector(3)');
    expect(doc.rows[0]).toEqual({
      'p.name': 'Ada',
      'p.age': 37,
      'p.born': '1990-05-17',
      'p.seen': '2024-01-02T03:04:05.678Z',
      'p.big': BIG,
      'p.score': 1.5,
      'p.tags': ['x', 'y, z'],
      'p.level': 'senior',
      'p.photo': 'AQID/w==',
      'p.embedding': [0.1, 0.2, 0.3],
    });
    expect(Object.keys(doc.rows[0])).toEqual(doc.columns);
    expect(doc.rows[1]).toMatchObject({ 'p.name': 'Bob, "B"', 'p.age': null, 'p.tags': null });
  }, 300_000);

  it('--format json is --json; an I64 parameter beyond 2^53 is matched exactly', async () => {
    const r = await read(['--name', 'by_big', '--params', `{"big": ${BIG}}`, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(parseExact(r.stdout).rows).toEqual([{ 'p.name': 'Ada', 'p.big': BIG }]);
    const off = await read(['--name', 'by_big', '--params', `{"big": ${BIG + 1n}}`, '--json']);
    expect(parseExact(off.stdout).row_count).toBe(0);
  }, 300_000);

  it('a whole node is an object of its id and properties, formatted by type', async () => {
    const r = await read(['--name', 'whole', '--params', '{"name":"Ada"}', '--json']);
    expect(r.code).toBe(0);
    const node = parseExact(r.stdout).rows[0].p;
    expect(node).toMatchObject({ name: 'Ada', born: '1990-05-17', big: BIG, photo: 'AQID/w==' });
  }, 300_000);

  it('jsonl (the default when stdout is not a terminal): a metadata line, then one row per line', async () => {
    for (const args of [['--format', 'jsonl'], []]) {
      const r = await read(['--name', 'everyone', ...args]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      const meta = parseExact(lines[0]);
      expect(meta).toMatchObject({ query_name: 'everyone', row_count: 2 });
      expect(meta.rows).toBeUndefined();
      expect(parseExact(lines[1])['p.big']).toBe(BIG);
      expect(parseExact(lines[2])['p.name']).toBe('Bob, "B"');
    }
  }, 300_000);

  it('csv: RFC 4180 (CRLF, quoting, doubled quotes; null empty, empty string "")', async () => {
    const r = await read(['--name', 'notes', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('n.text\r\n""\r\n"two\nlines, ""quoted"""\r\n');
    const e = await read(['--name', 'everyone', '--format', 'csv']);
    const [head, ada, bob] = e.stdout.split('\r\n');
    expect(head).toBe(
      'p.name,p.age,p.born,p.seen,p.big,p.score,p.tags,p.level,p.photo,p.embedding',
    );
    expect(ada).toBe(
      'Ada,37,1990-05-17,2024-01-02T03:04:05.678Z,9007199254740993,1.5,"[""x"",""y, z""]",senior,AQID/w==,"[0.1,0.2,0.3]"',
    );
    expect(bob).toBe('"Bob, ""B""",,,,,,,,,');
  }, 300_000);

  it('table: fitted to the width ($COLUMNS), cut cells end in …', async () => {
    const wide = await read(['--name', 'everyone', '--format', 'table'], { COLUMNS: '400' });
    expect(wide.code).toBe(0);
    const lines = wide.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^p\.name +p\.age +p\.born/);
    expect(lines[2]).toContain('9007199254740993');
    expect(lines.at(-1)).toBe('(2 rows)');
    const narrow = await read(['--name', 'everyone', '--format', 'table'], { COLUMNS: '70' });
    for (const line of narrow.stdout.trimEnd().split('\n'))
      expect([...line].length).toBeLessThanOrEqual(70);
    expect(narrow.stdout).toContain('…');
    const notes = await read(['--name', 'notes', '--format', 'table']);
    expect(notes.stdout).toContain('two⏎lines, "quoted"');
  }, 300_000);

  it('kv: one block per row', async () => {
    const r = await read(['--name', 'by_name', '--params', '{"name":"Ada"}', '--format', 'kv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('-- row 1 --\np.name  Ada\np.age   37\n\n(1 row)\n');
  }, 300_000);

  it('time travel: --version and --commit read the first write; --params-file', async () => {
    const params = join(work, 'p.json');
    writeFileSync(params, '{"name": "Ada"}');
    const atV1 = await read([
      '--name',
      'by_name',
      '--params-file',
      params,
      '--version',
      String(v1),
      '--json',
    ]);
    expect(atV1.code).toBe(0);
    expect(atV1.json()).toMatchObject({
      target: { manifest_version: v1, commit_id: commit1 },
      rows: [{ 'p.name': 'Ada', 'p.age': 36 }],
    });
    const atC1 = await read([
      '--name',
      'by_name',
      '--params-file',
      params,
      '--commit',
      commit1,
      '--json',
    ]);
    expect(atC1.json().rows).toEqual([{ 'p.name': 'Ada', 'p.age': 36 }]);
    const now = await read([
      '--name',
      'by_name',
      '--params-file',
      params,
      '--branch',
      'main',
      '--json',
    ]);
    expect(now.json().rows).toEqual([{ 'p.name': 'Ada', 'p.age': 37 }]);
  }, 300_000);
});

describe('lancelog read: errors', () => {
  it('usage errors exit 2 (with and without --json)', async () => {
    const cases: string[][] = [
      ['--name', 'everyone', '--format', 'xml'],
      ['--name', 'everyone', '--params', '{}', '--params-file', 'p.json'],
      ['--name', 'everyone', '--version', 'two'],
      ['--name', 'everyone', '--version', '0'],
      ['--name', 'everyone', '--version', '1', '--commit', 'C'],
      ['--name', 'everyone', '--json', '--format', 'csv'],
      ['--name', 'everyone', '--bogus'],
      [], // no --name
    ];
    // Alternately as text and with --json (each CLI run costs seconds on a busy machine).
    for (const [i, args] of cases.entries()) {
      if (i % 2 === 0) {
        const text = await read(args);
        expect(text.code, args.join(' ')).toBe(2);
        expect(text.stderr, args.join(' ')).toMatch(/^error: /);
      } else {
        const json = await read([...args, '--json']);
        expect(json.code, args.join(' ')).toBe(2);
        expect(json.json().code, args.join(' ')).toBe('UsageError');
      }
    }
    const noRepo = await runCliAsync(['read', '--query', gq, '--name', 'everyone']);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/missing repo/);
  }, 300_000);

  it('runtime errors exit 1, typed, naming the file, query and parameter', async () => {
    let runs = 0;
    const expectError = async (
      args: string[],
      code: string,
      details: Record<string, unknown>,
      message?: RegExp,
    ): Promise<void> => {
      const r = await read([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.json(), args.join(' ')).toMatchObject({ code, details });
      if (message) expect(r.json().error).toMatch(message);
      if (runs++ % 3 !== 0) return;
      // Every third one also as text: the code in brackets, no stack trace.
      const text = await read(args);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(new RegExp(`^error \\[${code}\\]`));
      expect(text.stderr).not.toContain('    at ');
    };
    await expectError(['--name', 'nope'], 'QueryNotFound', { query: 'nope', file: gq }, /by_name/);
    await expectError(
      ['--name', 'add_person', '--params', '{"name":"Z"}'],
      'QueryNotRead',
      { query: 'add_person' },
      /change/,
    );
    await expectError(['--name', 'by_name', '--params', '{"name":'], 'ParamsInvalid', {
      query: 'by_name',
    });
    await expectError(['--name', 'by_name', '--params', '[1]'], 'ParamsInvalid', {
      query: 'by_name',
    });
    await expectError(['--name', 'by_name'], 'ParamMissing', { query: 'by_name', param: 'name' });
    await expectError(['--name', 'by_name', '--params', '{"name":"A","x":1}'], 'ParamUnknown', {
      query: 'by_name',
      param: 'x',
    });
    await expectError(['--name', 'by_name', '--params', '{"name":3}'], 'ParamType', {
      query: 'by_name',
      param: 'name',
      expected: 'String',
    });
    await expectError(
      ['--name', 'by_name', '--params-file', join(work, 'none.json')],
      'FileNotFound',
      {
        file: join(work, 'none.json'),
      },
    );
    await expectError(['--name', 'everyone', '--branch', 'nope'], 'BranchNotFound', {});
    await expectError(['--name', 'everyone', '--version', '999'], 'ManifestVersionNotFound', {});
    await expectError(['--name', 'everyone', '--commit', 'NOPE'], 'CommitNotFound', {});
    const missingQuery = await runCliAsync([
      'read',
      '--query',
      join(work, 'no.gq'),
      '--name',
      'x',
      repoDir,
      '--json',
    ]);
    expect(missingQuery.code).toBe(1);
    expect(missingQuery.json()).toMatchObject({
      code: 'FileNotFound',
      details: { file: join(work, 'no.gq') },
    });
    const notRepo = await runCliAsync([
      'read',
      '--query',
      gq,
      '--name',
      'everyone',
      work,
      '--json',
    ]);
    expect(notRepo.code).toBe(1);
    expect(notRepo.json().code).toBe('NotARepo');
  }, 300_000);

  it('change keeps refusing reads (QueryNotMutation) and changes nothing', async () => {
    const r = await runCliAsync(['change', '--query', gq, '--name', 'everyone', repoDir, '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ code: 'QueryNotMutation', details: { query: 'everyone' } });
    const repo = await Repo.open(repoDir, { readOnly: true });
    try {
      expect(repo.snapshot({}).manifestVersion).toBe(v1 + 1);
    } finally {
      await repo.close();
    }
  }, 300_000);
});

describe('one JSON-params parser for read, change and the API', () => {
  it('read and change refuse the same bad --params with the same error; both keep 64-bit integers', async () => {
    const bad = '{"name": "A", "x": [1,}';
    const viaRead = await read(['--name', 'by_name', '--params', bad, '--json']);
    const viaChange = await runCliAsync([
      'change',
      '--query',
      gq,
      '--name',
      'add_person',
      '--params',
      bad,
      '--json',
      repoDir,
    ]);
    let expected = '';
    try {
      JSON.parse(bad);
    } catch (err) {
      expected = (err as Error).message;
    }
    for (const [r, query] of [
      [viaRead, 'by_name'],
      [viaChange, 'add_person'],
    ] as const) {
      expect(r.code).toBe(1);
      expect(r.json()).toMatchObject({
        code: 'ParamsInvalid',
        error: `parameters of query ${query} (--params) are not valid JSON: ${expected}`,
        details: { query, from: '--params' },
      });
    }
    const big = await read(['--name', 'by_big', '--params', `{"big": ${BIG}}`, '--json']);
    expect(parseExact(big.stdout).rows).toEqual([{ 'p.name': 'Ada', 'p.big': BIG }]);
  });
});
