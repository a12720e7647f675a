/**
 * `@embed` at write time (docs/writes.md §Embeddings): loads and mutations fill the
 * vectors they lack with the provider's L2-normalised embedding of the source text,
 * keep explicit vectors, call the provider before any lease, and fail cleanly (op.failed,
 * nothing published) when the provider is missing or down.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmbeddingClient,
  lintQueries,
  loadJsonl,
  mockEmbedding,
  Repo,
  type EmbeddingClient,
} from '../../src/index.js';
import { rejection } from '../helpers/errors.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { startEmbeddingServer, type EmbeddingServer } from '../embed/server.js';

const tmp = useTmpDirs();

const SCHEMA = `
node Doc {
  slug: String @key
  body: String
  embedding: Vector(8) @embed("body")
}
node Note {
  slug: String @key
  text: String?
  vec: Vector(4)? @embed("text")
}
edge Cites: Doc -> Doc
`;

const QUERIES = `
query add_doc($slug: String, $body: String) {
  insert Doc { slug: $slug, body: $body }
}
query add_doc_vec($slug: String, $body: String, $v: Vector(8)) {
  insert Doc { slug: $slug, body: $body, embedding: $v }
}
query set_body($slug: String, $body: String) {
  update Doc set { body: $body } where slug = $slug
}
`;

/** The mock client, recording each call and the leases held when it ran. */
function recording(repo: () => Repo | undefined) {
  const mock = createEmbeddingClient({ env: { LANCELOG_EMBEDDINGS: 'mock' } });
  const calls: Array<{ texts: string[]; dimension: number; leasesHeld: number }> = [];
  const client: EmbeddingClient = {
    provider: mock.provider,
    model: mock.model,
    embed(texts, dimension) {
      const r = repo();
      const leasesHeld = r
        ? r.listEvents({ kind: 'lease.acquired' }).length -
          r.listEvents({ kind: 'op.published' }).length -
          r.listEvents({ kind: 'op.failed' }).length
        : 0;
      calls.push({ texts, dimension, leasesHeld });
      return mock.embed(texts, dimension);
    },
  };
  return { client, calls };
}

async function open(client: EmbeddingClient, schema = SCHEMA): Promise<Repo> {
  const dir = join(tmp(), 'repo');
  await Repo.init(dir, { schemaSource: schema, schemaFile: 'schema.pg' });
  return Repo.open(dir, { embeddings: client });
}

const f32 = (v: Float32Array | number[]) => Array.from(v, (x) => Math.fround(x));
const vecOf = async (repo: Repo, type: string, id: string, prop: string) =>
  (await repo.get(type, id))?.[prop] as number[] | null;

let server: EmbeddingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('@embed on load', () => {
  it('fills missing vectors from the source text, keeps explicit ones, leaves a null source null', async () => {
    const held: { repo?: Repo } = {};
    const rec = recording(() => held.repo);
    const repo = (held.repo = await open(rec.client));
    try {
      const explicit = [1, 2, 3, 4, 5, 6, 7, 8];
      const text = [
        { type: 'Doc', data: { slug: 'a', body: 'alpha' } },
        { type: 'Doc', data: { slug: 'b', body: 'beta', embedding: explicit } },
        { type: 'Doc', data: { slug: 'c', body: 'gamma', embedding: [] } },
        { type: 'Note', data: { slug: 'n1', text: 'alpha' } },
        { type: 'Note', data: { slug: 'n2' } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n');
      const out = await loadJsonl(
        repo.operationContext(),
        { text, file: 'seed.jsonl' },
        { mode: 'append' },
      );
      expect(out.commitId).not.toBeNull();
      expect(await vecOf(repo, 'Doc', 'a', 'embedding')).toEqual(f32(mockEmbedding('alpha', 8)));
      expect(await vecOf(repo, 'Doc', 'b', 'embedding')).toEqual(explicit);
      expect(await vecOf(repo, 'Doc', 'c', 'embedding')).toEqual(f32(mockEmbedding('gamma', 8)));
      expect(await vecOf(repo, 'Note', 'n1', 'vec')).toEqual(f32(mockEmbedding('alpha', 4)));
      expect(await vecOf(repo, 'Note', 'n2', 'vec')).toBeNull();
      const stored = (await vecOf(repo, 'Doc', 'a', 'embedding'))!;
      expect(Math.hypot(...stored)).toBeCloseTo(1, 5);
      // One call per dimension, no lease held during any of them.
      expect(rec.calls.map((c) => [c.dimension, c.texts])).toEqual([
        [8, ['alpha', 'gamma']],
        [4, ['alpha']],
      ]);
      expect(rec.calls.every((c) => c.leasesHeld === 0)).toBe(true);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('a large load embeds in bounded batches and stages every line in file order', async () => {
    const held: { repo?: Repo } = {};
    const rec = recording(() => held.repo);
    const repo = (held.repo = await open(rec.client));
    try {
      const lines: string[] = [];
      for (let i = 0; i < 600; i++) {
        lines.push(JSON.stringify({ type: 'Doc', data: { slug: `d${i}`, body: `text ${i}` } }));
        if (i > 0) lines.push(JSON.stringify({ edge: 'Cites', from: `d${i}`, to: `d${i - 1}` }));
      }
      // merge mode: a later line replaces an earlier one (order must survive the batching)
      lines.push(JSON.stringify({ type: 'Doc', data: { slug: 'd7', body: 'replaced' } }));
      const out = await loadJsonl(
        repo.operationContext(),
        { text: lines.join('\n'), file: 'big.jsonl' },
        { mode: 'merge' },
      );
      expect(out.edges).toEqual({ Cites: 599 });
      expect(rec.calls.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...rec.calls.map((c) => c.texts.length))).toBeLessThanOrEqual(256);
      expect(rec.calls.flatMap((c) => c.texts)).toHaveLength(601);
      expect(await vecOf(repo, 'Doc', 'd599', 'embedding')).toEqual(
        f32(mockEmbedding('text 599', 8)),
      );
      expect((await repo.get('Doc', 'd7'))?.body).toBe('replaced');
      expect(await vecOf(repo, 'Doc', 'd7', 'embedding')).toEqual(
        f32(mockEmbedding('replaced', 8)),
      );
      expect(await repo.scan('Cites')).toHaveLength(599);
    } finally {
      await repo.close();
    }
  });
});

describe('@embed on insert and update', () => {
  it('insert without the vector embeds the source; an explicit vector is kept; an update of the source re-embeds', async () => {
    const held: { repo?: Repo } = {};
    const rec = recording(() => held.repo);
    const repo = (held.repo = await open(rec.client));
    try {
      const change = (name: string, params: Record<string, unknown>) =>
        repo.change({ source: QUERIES, file: 'q.gq', name, params });
      await change('add_doc', { slug: 'a', body: 'alpha' });
      expect(await vecOf(repo, 'Doc', 'a', 'embedding')).toEqual(f32(mockEmbedding('alpha', 8)));
      const v = [0, 0, 0, 0, 0, 0, 0, 2];
      await change('add_doc_vec', { slug: 'b', body: 'beta', v });
      expect(await vecOf(repo, 'Doc', 'b', 'embedding')).toEqual(v);
      await change('set_body', { slug: 'a', body: 'alpha two' });
      expect(await vecOf(repo, 'Doc', 'a', 'embedding')).toEqual(
        f32(mockEmbedding('alpha two', 8)),
      );
      expect(rec.calls.map((c) => c.texts)).toEqual([['alpha'], ['alpha two']]);
      expect(rec.calls.every((c) => c.leasesHeld === 0)).toBe(true);
      // An update matching nothing embeds nothing.
      await change('set_body', { slug: 'nobody', body: 'x' });
      expect(rec.calls).toHaveLength(2);
    } finally {
      await repo.close();
    }
  });

  it('the industry-intel cookbook: Chunk rows and the insert mutation without the 3072-d embedding (was MissingRequiredProperty)', async () => {
    const rec = recording(() => undefined);
    const schema = readFileSync(
      join(FIXTURES_DIR, 'cookbooks', 'industry-intel', 'schema.pg'),
      'utf8',
    );
    const repo = await open(rec.client, schema);
    try {
      // The cookbook's shape: a Chunk belongs to exactly one artifact (@card(1..1)), so the
      // chunk comes with its edge in a load; its embedding is left to the engine.
      const t = '2026-04-09T12:00:00Z';
      const seed = [
        {
          type: 'InformationArtifact',
          data: {
            slug: 'art',
            name: 'A',
            artifactType: 'pdf',
            stagingTimestamp: t,
            createdAt: t,
            updatedAt: t,
          },
        },
        { type: 'Chunk', data: { id: 'c1', text: 'Lance tables', chunk_index: 0, createdAt: t } },
        { edge: 'PartOfArtifact', from: 'c1', to: 'art' },
      ];
      await loadJsonl(
        repo.operationContext(),
        { text: seed.map((l) => JSON.stringify(l)).join('\n'), file: 'seed.jsonl' },
        { mode: 'append' },
      );
      expect(await vecOf(repo, 'Chunk', 'c1', 'embedding')).toEqual(
        f32(mockEmbedding('Lance tables', 3072)),
      );
      // The insert compiles without the vector (it raised MissingRequiredProperty before)...
      const source = `query add_chunk($text: String, $chunk_index: I32, $createdAt: DateTime) {
    insert Chunk { text: $text, chunk_index: $chunk_index, createdAt: $createdAt }
}
query retext($i: I32, $text: String) {
    update Chunk set { text: $text } where chunk_index = $i
}`;
      expect(lintQueries(source, 'chunks.gq', repo.catalog).map((q) => q.status)).toEqual([
        'ok',
        'ok',
      ]);
      // ... and runs: embedded, then refused only by the cookbook's own @card(1..1) rule.
      const err = await rejection(
        repo.change({
          source,
          file: 'chunks.gq',
          name: 'add_chunk',
          params: { text: 'x', chunk_index: 1, createdAt: t },
        }),
      );
      expect(err.details).toMatchObject({ rule: 'card', table: 'edge:PartOfArtifact' });
      expect(rec.calls.at(-1)).toMatchObject({ texts: ['x'], dimension: 3072 });
      await repo.change({
        source,
        file: 'chunks.gq',
        name: 'retext',
        params: { i: 0, text: 'Lance indexes' },
      });
      expect(await vecOf(repo, 'Chunk', 'c1', 'embedding')).toEqual(
        f32(mockEmbedding('Lance indexes', 3072)),
      );
      // Without the source, the checker still refuses, naming both.
      await expect(
        repo.change({
          source: `query bad($i: I32, $t: DateTime) { insert Chunk { chunk_index: $i, createdAt: $t } }`,
          file: 'bad.gq',
          name: 'bad',
          params: { i: 1, t: '2026-04-09T12:00:00Z' },
        }),
      ).rejects.toMatchObject({
        code: 'MissingRequiredProperty',
        message: expect.stringContaining('embedding (or its @embed source text)'),
      });
    } finally {
      await repo.close();
    }
  });
});

describe('provider missing or failing: the operation fails and publishes nothing', () => {
  async function expectFailedOp(repo: Repo, commitsBefore: number, code: string) {
    const failed = repo.listEvents({ kind: 'op.failed' });
    expect(failed).toHaveLength(1);
    const kinds = repo.listEvents({ opId: failed[0].opId }).map((e) => e.kind);
    expect(kinds).toEqual(['op.begun', 'op.failed', 'op.rolled_back']);
    expect(JSON.stringify(failed[0])).toContain(code);
    expect(repo.listCommits()).toHaveLength(commitsBefore);
    expect(await repo.scan('Doc')).toEqual([]);
    expect((await repo.verify()).ok).toBe(true);
  }

  it('no provider configured: EmbeddingNotConfigured says how to configure one', async () => {
    const repo = await open(createEmbeddingClient({ env: {} }));
    try {
      const before = repo.listCommits().length;
      const err = await rejection(
        repo.change({
          source: QUERIES,
          file: 'q.gq',
          name: 'add_doc',
          params: { slug: 'a', body: 'x' },
        }),
      );
      expect(err.code).toBe('EmbeddingNotConfigured');
      expect(err.message).toContain('LANCELOG_EMBEDDINGS');
      expect(err.details).toMatchObject({
        table: 'node:Doc',
        property: 'embedding',
        source: 'body',
      });
      await expectFailedOp(repo, before, 'EmbeddingNotConfigured');
      // A write that has nothing to embed needs no provider.
      await repo.change({
        source: QUERIES,
        file: 'q.gq',
        name: 'add_doc_vec',
        params: { slug: 'b', body: 'x', v: [1, 0, 0, 0, 0, 0, 0, 0] },
      });
    } finally {
      await repo.close();
    }
  });

  it('provider outage during a load: EmbeddingFailed naming the file and line', async () => {
    server = await startEmbeddingServer([{ kind: 'status', status: 503 }]);
    const repo = await open(
      createEmbeddingClient({
        env: {
          LANCELOG_EMBEDDINGS: 'openai',
          OPENAI_API_KEY: 'k',
          OPENAI_BASE_URL: server.baseUrl,
        },
        backoffMs: 1,
        maxAttempts: 2,
      }),
    );
    try {
      const before = repo.listCommits().length;
      const text = [
        '{"type":"Doc","data":{"slug":"v","body":"x","embedding":[1,0,0,0,0,0,0,0]}}',
        '{"type":"Doc","data":{"slug":"a","body":"alpha"}}',
      ].join('\n');
      const err = await rejection(
        loadJsonl(repo.operationContext(), { text, file: 'seed.jsonl' }, { mode: 'append' }),
      );
      expect(err.code).toBe('EmbeddingFailed');
      expect(err.details).toMatchObject({ file: 'seed.jsonl', line: 2, status: 503, attempts: 2 });
      expect(err.message).toContain('seed.jsonl:2');
      expect(server.requests).toHaveLength(2);
      await expectFailedOp(repo, before, 'EmbeddingFailed');
    } finally {
      await repo.close();
    }
  });

  it('provider timeout during an insert: EmbeddingFailed, nothing published', async () => {
    server = await startEmbeddingServer([{ kind: 'hang' }]);
    const repo = await open(
      createEmbeddingClient({
        env: {
          LANCELOG_EMBEDDINGS: 'openai',
          OPENAI_API_KEY: 'k',
          OPENAI_BASE_URL: server.baseUrl,
        },
        timeoutMs: 100,
        maxAttempts: 1,
      }),
    );
    try {
      const before = repo.listCommits().length;
      const err = await rejection(
        repo.change({
          source: QUERIES,
          file: 'q.gq',
          name: 'add_doc',
          params: { slug: 'a', body: 'x' },
        }),
      );
      expect(err.code).toBe('EmbeddingFailed');
      expect(String(err.details.reason)).toContain('no answer within 100 ms');
      await expectFailedOp(repo, before, 'EmbeddingFailed');
    } finally {
      await repo.close();
    }
  });
});
