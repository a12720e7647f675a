import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  armFailpoint,
  disarmAllFailpoints,
  exportJsonl,
  loadJsonl,
  Repo,
  type LoadOptions,
} from '../../src/index.js';
import { FIXTURES_DIR, fixtureFiles } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { rejection } from '../helpers/errors.js';

const tmp = useTmpDirs();

async function withRepo<T>(
  schema: string | { fixture: string } | undefined,
  fn: (repo: Repo) => Promise<T>,
): Promise<T> {
  const repo = await makeRepo(join(tmp(), 'repo'), schema);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

const load = (
  repo: Repo,
  text: string,
  mode: LoadOptions['mode'] = 'append',
  extra: Partial<LoadOptions> = {},
) => loadJsonl(repo.operationContext(), { text, file: 'data.jsonl' }, { mode, ...extra });

async function exportText(repo: Repo, at = {}): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportJsonl(repo, out, at);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

const jsonl = (...records: unknown[]): string =>
  records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
const person = (name: string, data: Record<string, unknown> = {}) => ({
  type: 'Person',
  data: { name, ...data },
});
const edge = (e: string, from: string, to: string, data?: Record<string, unknown>) => ({
  edge: e,
  from,
  to,
  ...(data ? { data } : {}),
});

/** `X.jsonl` ↔ `X.pg`; `seed.jsonl` ↔ `schema.pg` in the same directory. */
function schemaFor(jsonlPath: string): string {
  const rel = jsonlPath.slice(FIXTURES_DIR.length + 1);
  return basename(rel) === 'seed.jsonl'
    ? join(dirname(rel), 'schema.pg')
    : rel.replace(/\.jsonl$/, '.pg');
}

function recordCount(path: string): number {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).length;
}

describe('JSONL load: every fixture', () => {
  const files = fixtureFiles('.jsonl');
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of files) {
    const rel = file.slice(FIXTURES_DIR.length + 1);
    it(`${rel}: loads (append, merge, overwrite) and round-trips through export`, async () => {
      const schema = { fixture: schemaFor(file) };
      const first = await withRepo(schema, async (repo) => {
        const r = await loadJsonl(repo.operationContext(), { path: file }, { mode: 'append' });
        const total =
          Object.values(r.nodes).reduce((a, b) => a + b, 0) +
          Object.values(r.edges).reduce((a, b) => a + b, 0);
        expect(total).toBe(recordCount(file));
        expect(r.commitId).not.toBeNull();
        const exported = await exportText(repo);
        expect(exported.split('\n').filter(Boolean)).toHaveLength(total);
        // Reloading the same file: merge is idempotent, overwrite reproduces the same graph.
        await loadJsonl(repo.operationContext(), { path: file }, { mode: 'merge' });
        expect(await exportText(repo)).toBe(exported);
        const over = await loadJsonl(
          repo.operationContext(),
          { path: file },
          { mode: 'overwrite' },
        );
        expect(over.deleted).toEqual(Object.fromEntries(Object.entries(over.edges)));
        expect(await exportText(repo)).toBe(exported);
        expect((await repo.verify()).ok).toBe(true);
        return exported;
      });
      // export → load into a fresh repo → export is byte-identical.
      await withRepo(schema, async (repo) => {
        await load(repo, first, 'append');
        expect(await exportText(repo)).toBe(first);
      });
    });
  }
});

describe('JSONL load: modes', () => {
  it('append inserts; a key already committed or repeated in the file is a key error naming the line', async () => {
    await withRepo(undefined, async (repo) => {
      const r = await load(
        repo,
        jsonl(
          person('alice'),
          person('bob'),
          edge('Knows', 'alice', 'bob'),
          edge('Knows', 'alice', 'bob'),
        ),
      );
      expect(r).toMatchObject({
        mode: 'append',
        nodes: { Person: 2 },
        edges: { Knows: 2 },
        lines: 4,
        deleted: {},
      });
      // Append adds every edge line (multi-edges are allowed).
      expect(await repo.scan('Knows')).toHaveLength(2);
      const before = repo.snapshot();
      const dupCommitted = await rejection(load(repo, jsonl(person('carol'), person('alice'))));
      expect(dupCommitted).toMatchObject({
        code: 'ValidationError',
        details: {
          table: 'node:Person',
          id: 'alice',
          line: 2,
          field: 'name',
          rule: 'key',
          file: 'data.jsonl',
        },
      });
      const dupInFile = await rejection(load(repo, jsonl(person('dan'), '', person('dan'))));
      expect(dupInFile).toMatchObject({
        code: 'ValidationError',
        details: { line: 3, field: 'name', rule: 'key' },
      });
      expect(repo.snapshot().manifestVersion).toBe(before.manifestVersion);
      expect(await repo.scan('Person')).toHaveLength(2);
    });
  });

  it('merge upserts nodes by key (last line wins) and merges edges by (from, to), keeping their ids', async () => {
    await withRepo(undefined, async (repo) => {
      await load(
        repo,
        jsonl(
          person('alice', { age: 1 }),
          person('bob'),
          edge('Knows', 'alice', 'bob', { since: '2020-01-01' }),
        ),
      );
      const [knows] = await repo.scan('Knows');
      const r = await load(
        repo,
        jsonl(
          person('alice', { age: 2 }),
          person('alice', { age: 3 }),
          person('carol'),
          edge('Knows', 'alice', 'bob', { since: '2021-01-01' }),
          edge('Knows', 'bob', 'carol'),
          edge('Knows', 'bob', 'carol', { since: '2022-02-02' }),
        ),
        'merge',
      );
      expect(r).toMatchObject({ mode: 'merge', nodes: { Person: 3 }, edges: { Knows: 3 } });
      expect((await repo.get('Person', 'alice'))!.age).toBe(3);
      const edges = await repo.scan('Knows');
      expect(edges).toHaveLength(2);
      const ab = edges.find((e) => e.src === 'alice')!;
      expect(ab.id).toBe(knows.id);
      expect((ab.since as Date).toISOString().slice(0, 10)).toBe('2021-01-01');
      expect((edges.find((e) => e.src === 'bob')!.since as Date).toISOString().slice(0, 10)).toBe(
        '2022-02-02',
      );
      // Idempotent: the same file again changes no row.
      const text = await exportText(repo);
      const ids = (await repo.scan('Knows')).map((e) => e.id).sort();
      await load(
        repo,
        jsonl(
          person('alice', { age: 3 }),
          person('bob'),
          person('carol'),
          edge('Knows', 'alice', 'bob', { since: '2021-01-01' }),
          edge('Knows', 'bob', 'carol', { since: '2022-02-02' }),
        ),
        'merge',
      );
      expect(await exportText(repo)).toBe(text);
      expect((await repo.scan('Knows')).map((e) => e.id).sort()).toEqual(ids);
    });
  });

  it('overwrite replaces the touched tables in one commit each and cascades edges of nodes that disappear', async () => {
    await withRepo(undefined, async (repo) => {
      await load(
        repo,
        jsonl(
          person('alice', { age: 1 }),
          person('bob'),
          person('carol'),
          { type: 'Company', data: { name: 'acme' } },
          { type: 'Note', data: { id: 'n1', text: 'x' } },
          edge('Knows', 'alice', 'bob'),
          edge('Knows', 'bob', 'carol'),
          edge('WorksAt', 'carol', 'acme'),
          edge('WorksAt', 'alice', 'acme'),
          edge('Owns', 'acme', 'alice'),
        ),
      );
      const before = repo.snapshot();
      // Person is replaced by {alice, bob}: carol goes, and so do her edges in tables
      // the file does not touch (Knows bob→carol, WorksAt carol→acme); alice keeps hers.
      const r = await load(repo, jsonl(person('alice', { age: 2 }), person('bob')), 'overwrite');
      expect(r.deleted).toEqual({ Person: 1, Knows: 1, WorksAt: 1 });
      expect(r.tables.map((t) => t.tableKey).sort()).toEqual([
        'edge:Knows',
        'edge:WorksAt',
        'node:Person',
      ]);
      for (const t of r.tables) expect(t.to).toBe(t.from + 1);
      expect(repo.snapshot().manifestVersion).toBe(before.manifestVersion + 1);
      expect((await repo.scan('Person')).map((p) => p.id).sort()).toEqual(['alice', 'bob']);
      expect((await repo.get('Person', 'alice'))!.age).toBe(2);
      expect((await repo.scan('Knows')).map((e) => `${e.src}>${e.dst}`)).toEqual(['alice>bob']);
      expect((await repo.scan('WorksAt')).map((e) => `${e.src}>${e.dst}`)).toEqual(['alice>acme']);
      expect(await repo.scan('Company')).toHaveLength(1);
      expect(await repo.scan('Note')).toHaveLength(1);
      // An edge table in the file is replaced wholesale.
      const r2 = await load(repo, jsonl(edge('Knows', 'bob', 'alice')), 'overwrite');
      expect(r2.deleted).toEqual({ Knows: 1 });
      expect((await repo.scan('Knows')).map((e) => `${e.src}>${e.dst}`)).toEqual(['bob>alice']);
      // Within an overwrite file a key is still written once.
      const dup = await rejection(load(repo, jsonl(person('x'), person('x')), 'overwrite'));
      expect(dup).toMatchObject({ code: 'ValidationError', details: { line: 2, rule: 'key' } });
      // Overwrite that would strand a required edge (@card(1..) of Owns) fails, changing nothing.
      const v = repo.snapshot().manifestVersion;
      const card = await rejection(load(repo, jsonl(edge('Owns', 'acme', 'nobody')), 'overwrite'));
      expect(card).toMatchObject({
        code: 'ValidationError',
        details: { field: 'to', rule: 'endpoint', line: 1 },
      });
      const stranded = await rejection(load(repo, jsonl(person('bob')), 'overwrite'));
      expect(stranded).toMatchObject({
        code: 'ValidationError',
        details: { table: 'edge:Owns', rule: 'card' },
      });
      expect(repo.snapshot().manifestVersion).toBe(v);
      expect((await repo.verify()).ok).toBe(true);
    });
  });

  it('edges may come before their endpoint nodes; keyless nodes take data.id; comments and blank lines are skipped', async () => {
    await withRepo(undefined, async (repo) => {
      const text = [
        '// a comment',
        '',
        edge('Knows', 'alice', 'bob'),
        '   ',
        person('alice'),
        person('bob'),
        { type: 'Note', data: { id: 'n-1', text: 'hi' } },
        '// end',
      ]
        .map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))
        .join('\r\n');
      const r = await load(repo, `\ufeff${text}\r\n`);
      expect(r).toMatchObject({ lines: 8, nodes: { Person: 2, Note: 1 }, edges: { Knows: 1 } });
      expect(await repo.get('Note', 'n-1')).toMatchObject({ text: 'hi' });
    });
  });

  it('loads from a file path, reports progress, and loads into a branch without touching main', async () => {
    await withRepo(undefined, async (repo) => {
      const path = join(tmp(), 'data.jsonl');
      const lines = Array.from({ length: 3000 }, (_, i) =>
        JSON.stringify(person(`p${i}`, { age: i % 150 })),
      );
      writeFileSync(path, `${lines.join('\n')}\n`);
      repo.createBranch('dev');
      const calls: Array<[number, number | undefined, number]> = [];
      const r = await loadJsonl(
        repo.operationContext(),
        { path },
        {
          mode: 'append',
          branch: 'dev',
          actor: 'loader',
          onProgress: (b, t, l) => calls.push([b, t, l]),
        },
      );
      expect(r.nodes).toEqual({ Person: 3000 });
      const size = readFileSync(path).length;
      expect(calls.at(-1)).toEqual([size, size, 3000]);
      expect(await repo.scan('Person', { branch: 'dev' })).toHaveLength(3000);
      expect(await repo.scan('Person')).toHaveLength(0);
      expect(repo.getCommit(r.commitId!)).toMatchObject({ actor: 'loader' });
      expect(repo.getOperation(r.opId)).toMatchObject({ kind: 'Load' });
      const missing = await rejection(
        loadJsonl(repo.operationContext(), { path: join(tmp(), 'nope.jsonl') }, { mode: 'append' }),
      );
      expect(missing.code).toBe('FileNotFound');
    });
  });
});

describe('JSONL load: more rows than one staged Arrow chunk (8,192)', () => {
  it('merge keeps the last line of a key across chunks, errors name the line of a chunked row, and export round-trips', async () => {
    await withRepo(undefined, async (repo) => {
      const n = 20_000;
      const people = Array.from({ length: n }, (_, i) => person(`p${i}`, { age: i % 100 }));
      const again = Array.from({ length: n / 10 }, (_, i) => person(`p${i * 10}`, { age: 101 }));
      const knows = Array.from({ length: n }, (_, i) =>
        edge('Knows', `p${i}`, `p${(i * 7 + 1) % n}`),
      );
      // A dangling edge after 5,000 edges: by the end of the file its row sits in a flushed chunk.
      const bad = [
        ...people,
        ...again,
        ...knows.slice(0, 5000),
        edge('Knows', 'p1', 'nobody'),
        ...knows.slice(5000),
      ];
      const dangling = await rejection(load(repo, jsonl(...bad), 'merge'));
      expect(dangling).toMatchObject({
        code: 'ValidationError',
        details: { table: 'edge:Knows', line: n + n / 10 + 5001, field: 'to', rule: 'endpoint' },
      });
      // In append mode a key repeated far apart is refused at its second line.
      const twice = await rejection(load(repo, jsonl(...people, person('p3'))));
      expect(twice).toMatchObject({ details: { id: 'p3', line: n + 1, rule: 'key' } });
      expect(await repo.scan('Person')).toHaveLength(0);

      // A failure after the first table's commit rolls the large load back in-process
      // (the restored versions are published, so the manifest moves but no row lands).
      armFailpoint('write.after_table_commit', { kind: 'error' }, { onHit: 1 });
      try {
        await expect(load(repo, jsonl(...people, ...knows))).rejects.toMatchObject({
          code: 'FailpointTriggered',
        });
      } finally {
        disarmAllFailpoints();
      }
      expect(await repo.scan('Knows')).toHaveLength(0);
      expect(await repo.scan('Person')).toHaveLength(0);
      const rolledBack = repo.listEvents({ kind: 'op.rolled_back' }).at(-1)!;
      expect(repo.listEvents({ opId: rolledBack.opId }).map((e) => e.kind)).toContain(
        'table.committed',
      );

      const r = await load(repo, jsonl(...people, ...again, ...knows), 'merge');
      expect(r).toMatchObject({ nodes: { Person: n + n / 10 }, edges: { Knows: n } });
      expect(await repo.scan('Person')).toHaveLength(n);
      expect((await repo.get('Person', 'p0'))!.age).toBe(101);
      expect((await repo.get('Person', 'p1'))!.age).toBe(1);
      expect((await repo.get('Person', 'p19990'))!.age).toBe(101);
      expect(await repo.scan('Knows')).toHaveLength(n);
      const text = await exportText(repo);
      expect(text.split('\n').filter(Boolean)).toHaveLength(2 * n);
      await load(repo, text, 'merge');
      expect(await exportText(repo)).toBe(text);
    });
  });
});

describe('JSONL load: bad input names file, line, field and rule and changes nothing', () => {
  const cases: Array<{
    name: string;
    text: string;
    code: string;
    line: number;
    field: string;
    rule: string;
    mode?: LoadOptions['mode'];
  }> = [
    {
      name: 'bad JSON',
      text: jsonl(person('x'), '{"type": "Person", "data": {'),
      code: 'DataFileError',
      line: 2,
      field: '$',
      rule: 'json',
    },
    {
      name: 'not an object',
      text: jsonl('[1, 2]'),
      code: 'DataFileError',
      line: 1,
      field: '$',
      rule: 'shape',
    },
    {
      name: 'neither node nor edge',
      text: jsonl({ kind: 'Person' }),
      code: 'DataFileError',
      line: 1,
      field: '$',
      rule: 'shape',
    },
    {
      name: 'unknown type',
      text: jsonl('// c', { type: 'Robot', data: {} }),
      code: 'DataFileError',
      line: 2,
      field: 'type',
      rule: 'unknown_type',
    },
    {
      name: 'an edge name used as a node type',
      text: jsonl({ type: 'Knows', data: {} }),
      code: 'DataFileError',
      line: 1,
      field: 'type',
      rule: 'unknown_type',
    },
    {
      name: 'unknown edge',
      text: jsonl(person('a'), edge('Hates', 'a', 'a')),
      code: 'DataFileError',
      line: 2,
      field: 'edge',
      rule: 'unknown_edge',
    },
    {
      name: 'missing from',
      text: jsonl(person('a'), { edge: 'Knows', to: 'a' }),
      code: 'DataFileError',
      line: 2,
      field: 'from',
      rule: 'required',
    },
    {
      name: 'missing data',
      text: jsonl({ type: 'Person' }),
      code: 'DataFileError',
      line: 1,
      field: 'data',
      rule: 'required',
    },
    {
      name: 'data not an object',
      text: jsonl({ type: 'Person', data: [1] }),
      code: 'DataFileError',
      line: 1,
      field: 'data',
      rule: 'type',
    },
    {
      name: 'from not a key',
      text: jsonl({ edge: 'Knows', from: { a: 1 }, to: 'a' }),
      code: 'DataFileError',
      line: 1,
      field: 'from',
      rule: 'type',
    },
    {
      name: 'extra top-level field',
      text: jsonl({ type: 'Person', data: { name: 'a' }, extra: 1 }),
      code: 'DataFileError',
      line: 1,
      field: 'extra',
      rule: 'unknown_field',
    },
    {
      name: 'wrong property type',
      text: jsonl(person('a'), '', person('b', { age: 'old' })),
      code: 'ValidationError',
      line: 3,
      field: 'age',
      rule: 'type',
    },
    {
      name: 'unknown property',
      text: jsonl(person('a', { height: 2 })),
      code: 'ValidationError',
      line: 1,
      field: 'height',
      rule: 'unknown_field',
    },
    {
      name: 'missing required property',
      text: jsonl({ type: 'Person', data: { age: 3 } }),
      code: 'ValidationError',
      line: 1,
      field: 'name',
      rule: 'required',
    },
    {
      name: 'range',
      text: jsonl(person('a', { age: 200 })),
      code: 'ValidationError',
      line: 1,
      field: 'age',
      rule: 'range',
    },
    {
      name: 'enum',
      text: jsonl(person('a', { level: 'boss' })),
      code: 'ValidationError',
      line: 1,
      field: 'level',
      rule: 'enum',
    },
    {
      name: 'vector dimension',
      text: jsonl(person('a', { embedding: [1, 2] })),
      code: 'ValidationError',
      line: 1,
      field: 'embedding',
      rule: 'dimension',
    },
    {
      name: 'data.id differs from the key',
      text: jsonl({ type: 'Person', data: { id: 'b', name: 'a' } }),
      code: 'ValidationError',
      line: 1,
      field: 'id',
      rule: 'key',
    },
    {
      name: 'duplicate key (append, committed)',
      text: jsonl(person('fresh'), person('seed')),
      code: 'ValidationError',
      line: 2,
      field: 'name',
      rule: 'key',
    },
    {
      name: 'missing endpoint',
      text: jsonl(person('a'), edge('Knows', 'a', 'ghost')),
      code: 'ValidationError',
      line: 2,
      field: 'to',
      rule: 'endpoint',
    },
    {
      name: 'unique',
      text: jsonl(person('a', { email: 'x@y' }), person('b', { email: 'x@y' })),
      code: 'ValidationError',
      line: 2,
      field: 'email',
      rule: 'unique',
      mode: 'merge',
    },
    {
      name: 'card max',
      text: jsonl(
        { type: 'Company', data: { name: 'c1' } },
        edge('Owns', 'c1', 'seed'),
        edge('WorksAt', 'seed', 'c1'),
        edge('WorksAt', 'seed', 'c1'),
      ),
      code: 'ValidationError',
      line: 1,
      field: '',
      rule: 'card',
    },
  ];

  // The chunked path (docs/writes.md §Chunked loads) validates exactly as a small load.
  for (const [label, extra] of [
    ['one commit per table', {}],
    ['chunked, 2 rows per commit', { chunkBytes: 0, chunkRows: 2 }],
  ] as const)
    it(`all cases, one repo (${label})`, async () => {
      await withRepo(undefined, async (repo) => {
        await load(repo, jsonl(person('seed')));
        const before = repo.snapshot();
        const baseline = await exportText(repo);
        for (const c of cases) {
          const err = await rejection(load(repo, c.text, c.mode ?? 'append', extra));
          const details = err.details as Record<string, unknown>;
          const got = {
            name: c.name,
            code: err.code,
            line: details.line,
            field: details.field ?? '',
            rule: details.rule,
          };
          // card errors name the source node's line only when it was loaded by this file.
          expect(got).toEqual({
            name: c.name,
            code: c.code,
            line: c.rule === 'card' ? details.line : c.line,
            field: c.field,
            rule: c.rule,
          });
          expect(details.file).toBe(
            c.rule === 'card' && details.line === undefined ? undefined : 'data.jsonl',
          );
          expect(err.message).toContain(c.rule);
        }
        expect(repo.snapshot().manifestVersion).toBe(before.manifestVersion);
        expect(await exportText(repo)).toBe(baseline);
        // Every failed load is journaled as failed and rolled back.
        const ops = repo.listEvents({ kind: 'op.rolled_back' });
        expect(ops.length).toBeGreaterThanOrEqual(cases.length - 1);
        expect((await repo.verify()).ok).toBe(true);
      });
    });

  it('invalid UTF-8 in a data file is a DataFileError naming the line; nothing is published', async () => {
    await withRepo(undefined, async (repo) => {
      const before = repo.snapshot().manifestVersion;
      const file = join(tmp(), 'bad.jsonl');
      const good = Buffer.from(`${jsonl(person('a'), person('b'))}\n`);
      // 0xff never occurs in UTF-8; 0xc3 alone is a truncated sequence at the end of the file.
      for (const [bad, line] of [
        [
          Buffer.concat([
            good,
            Buffer.from('{"type":"Person","data":{"name":"c\xff"}}\n', 'latin1'),
          ]),
          3,
        ],
        [
          Buffer.concat([
            good,
            Buffer.from('{"type":"Person","data":{"name":"c"}}\n\xc3', 'latin1'),
          ]),
          4,
        ],
      ] as const) {
        writeFileSync(file, bad);
        const err = await rejection(
          loadJsonl(repo.operationContext(), { path: file }, { mode: 'append' }),
        );
        expect(err).toMatchObject({
          code: 'DataFileError',
          details: { file, line, field: '$', rule: 'encoding' },
        });
      }
      expect(repo.snapshot().manifestVersion).toBe(before);
      expect(await repo.scan('Person')).toEqual([]);
    });
  });

  it('one coercion rule: "12" is not an I32; 64-bit integers are exact as JSON numbers or strings', async () => {
    await withRepo(undefined, async (repo) => {
      const err = await rejection(load(repo, jsonl(person('a', { age: '12' }))));
      expect(err).toMatchObject({
        code: 'ValidationError',
        details: { field: 'age', rule: 'type' },
      });
      await load(
        repo,
        [
          '{"type":"Person","data":{"name":"n","big":-9223372036854775808}}',
          '{"type":"Person","data":{"name":"s","big":"9223372036854775807"}}',
          '{"type":"Person","data":{"name":"t","big":9007199254740993,"embedding":[0.9,0.1,-0.0]}}',
        ].join('\n'),
      );
      const big = Object.fromEntries((await repo.scan('Person')).map((r) => [r.name, r.big]));
      expect(big).toEqual({ n: -(2n ** 63n), s: 2n ** 63n - 1n, t: 2n ** 53n + 1n });
      const text = await exportText(repo);
      expect(text).toContain('"big":-9223372036854775808');
      expect(text).toContain('"big":9223372036854775807');
      expect(text).toContain('"big":9007199254740993,"embedding":[0.9,0.1,-0]');
    });
  });

  it('an unknown mode is a usage error', async () => {
    await withRepo(undefined, async (repo) => {
      const err = await rejection(load(repo, '', 'replace' as never));
      expect(err.code).toBe('UsageError');
    });
  });

  it('Repo.load checks the repo is writable, like Repo.change: read-only is ReadOnlyRepo, nothing journaled', async () => {
    const dir = join(tmp(), 'repo');
    const repo = await makeRepo(dir);
    const text = JSON.stringify({ type: 'Person', data: { name: 'acme' } });
    const ok = await repo.load({ text, file: 'data.jsonl' }, { mode: 'append' });
    expect(ok.nodes).toEqual({ Person: 1 });
    await repo.close();
    const ro = await Repo.open(dir, { readOnly: true });
    try {
      const events = ro.listEvents().length;
      const err = await rejection(
        ro.load({ text: text.replace('acme', 'other'), file: 'data.jsonl' }, { mode: 'append' }),
      );
      expect(err).toMatchObject({ code: 'ReadOnlyRepo', details: { repo: dir } });
      expect(ro.listEvents()).toHaveLength(events);
      expect((await ro.scan('Person')).map((r) => r.name)).toEqual(['acme']);
    } finally {
      await ro.close();
    }
  });
});

describe('JSONL export', () => {
  it('writes every value type in its JSON form, nodes then edges, deterministically, at a given version', async () => {
    await withRepo(undefined, async (repo) => {
      const v1 = repo.snapshot().manifestVersion;
      await load(
        repo,
        jsonl(
          person('zed', {
            age: 40,
            born: '1985-02-03',
            seen: '2026-04-09T12:00:00.123Z',
            score: 1.5,
            big: '9223372036854775807',
            tags: ['b', 'a'],
            level: 'senior',
            photo: 'AAEC',
            embedding: [0.5, 1, 2],
          }),
          person('amy', { big: 42 }),
          { type: 'Note', data: { id: 'n2', text: 'two' } },
          { type: 'Company', data: { name: 'acme' } },
          edge('Owns', 'acme', 'zed'),
          edge('Knows', 'zed', 'amy', { since: '2020-01-01' }),
          edge('Knows', 'amy', 'zed'),
        ),
      );
      const text = await exportText(repo);
      expect(text.split('\n')).toEqual([
        '{"type":"Person","data":{"name":"amy","big":42}}',
        '{"type":"Person","data":{"name":"zed","age":40,"born":"1985-02-03","seen":"2026-04-09T12:00:00.123Z","score":1.5,"big":9223372036854775807,"tags":["b","a"],"level":"senior","photo":"AAEC","embedding":[0.5,1,2]}}',
        '{"type":"Company","data":{"name":"acme"}}',
        '{"type":"Note","data":{"id":"n2","text":"two"}}',
        '{"edge":"Knows","from":"amy","to":"zed","data":{}}',
        '{"edge":"Knows","from":"zed","to":"amy","data":{"since":"2020-01-01"}}',
        '{"edge":"Owns","from":"acme","to":"zed","data":{}}',
        '',
      ]);
      expect(await exportText(repo, { version: v1 })).toBe('');
      expect(await exportText(repo)).toBe(text);
    });
  });
});
