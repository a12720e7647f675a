/**
 * `lancelog embed` (docs/cli.md): fills, recomputes or strips @embed vectors of a JSONL
 * file offline, copying other lines byte for byte; errors name the file and line and
 * leave no output behind. Real CLI child processes; the OpenAI-compatible path talks to
 * a real server on 127.0.0.1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mockEmbedding } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { serverVector, startEmbeddingServer, type EmbeddingServer } from '../embed/server.js';

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

const INPUT = [
  '// seed',
  '{"type":"Doc","data":{"slug":"a","body":"alpha"}}',
  '{"type":"Doc","data":{"slug":"b","body":"beta","embedding":[1,2,3,4,5,6,7,8]}}',
  '{"type":"Note","data":{"slug":"n1","text":"alpha"}}',
  '{"type":"Note","data":{"slug":"n2"}}',
  '{"edge":"Cites","from":"a","to":"b"}',
];

const NO_PROVIDER = { LANCELOG_EMBEDDINGS: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };
const MOCK = { ...NO_PROVIDER, LANCELOG_EMBEDDINGS: 'mock' };

function files(lines = INPUT) {
  const dir = tmp();
  const schema = join(dir, 's.pg');
  const input = join(dir, 'in.jsonl');
  const output = join(dir, 'out.jsonl');
  writeFileSync(schema, SCHEMA);
  writeFileSync(input, `${lines.join('\n')}\n`);
  return {
    dir,
    schema,
    input,
    output,
    args: ['--input', input, '--output', output, '--schema', schema],
  };
}

const outLines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');
const f32 = (v: ArrayLike<number>) => Array.from(v, (x) => Math.fround(x));
const vec = (line: string, prop: string) =>
  f32((JSON.parse(line) as { data: Record<string, number[]> }).data[prop]);

let server: EmbeddingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('lancelog embed', () => {
  it('fills only missing vectors (mock), copies every other line unchanged, and the output loads', async () => {
    const f = files();
    const r = await runCli(['embed', ...f.args, '--json'], MOCK);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ mode: 'fill', records: 5, embedded: 2, cleaned: 0 });
    const out = outLines(f.output);
    expect(out).toHaveLength(INPUT.length);
    expect(vec(out[1], 'embedding')).toEqual(f32(mockEmbedding('alpha', 8)));
    expect(vec(out[3], 'vec')).toEqual(f32(mockEmbedding('alpha', 4)));
    for (const i of [0, 2, 4, 5]) expect(out[i]).toBe(INPUT[i]);
    // The filled file loads with no provider at all: nothing is left to embed.
    const repo = join(f.dir, 'repo');
    expect((await runCli(['init', '--schema', f.schema, repo], NO_PROVIDER)).code).toBe(0);
    const load = await runCli(
      ['load', '--data', f.output, '--mode', 'append', '--json', repo],
      NO_PROVIDER,
    );
    expect(load.stderr).toBe('');
    expect(load.code).toBe(0);
  });

  it('--reembed-all recomputes explicit vectors too; --clean strips them; --type restricts', async () => {
    const f = files();
    const all = await runCli(
      ['embed', ...f.args, '--reembed-all', '--type', 'Doc', '--json'],
      MOCK,
    );
    expect(all.json()).toMatchObject({ mode: 'reembed-all', embedded: 2 });
    const out = outLines(f.output);
    expect(vec(out[2], 'embedding')).toEqual(f32(mockEmbedding('beta', 8)));
    expect(out[3]).toBe(INPUT[3]); // Note rows untouched under --type Doc
    const clean = await runCli(
      [
        'embed',
        '--input',
        f.output,
        '--output',
        join(f.dir, 'clean.jsonl'),
        '--schema',
        f.schema,
        '--clean',
        '--json',
      ],
      NO_PROVIDER,
    );
    expect(clean.json()).toMatchObject({ mode: 'clean', embedded: 0, cleaned: 2 });
    expect(outLines(join(f.dir, 'clean.jsonl'))[2]).toBe(
      '{"type":"Doc","data":{"slug":"b","body":"beta"}}',
    );
  });

  it('uses the OpenAI-compatible provider named by the environment (a server on 127.0.0.1)', async () => {
    server = await startEmbeddingServer([{ kind: 'status', status: 429 }, { kind: 'ok' }]);
    const f = files();
    const r = await runCli(['embed', ...f.args, '--json'], {
      ...NO_PROVIDER,
      LANCELOG_EMBEDDINGS: 'openai',
      OPENAI_API_KEY: 'sk-cli',
      OPENAI_BASE_URL: server.baseUrl,
      LANCELOG_EMBEDDINGS_MODEL: 'emb-small',
    });
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => q.body)).toEqual([
      { model: 'emb-small', input: ['alpha'], dimensions: 8 },
      { model: 'emb-small', input: ['alpha'], dimensions: 8 },
      { model: 'emb-small', input: ['alpha'], dimensions: 4 },
    ]);
    const n = Math.hypot(...serverVector('alpha', 8));
    expect(vec(outLines(f.output)[1], 'embedding')).toEqual(
      f32(serverVector('alpha', 8).map((x) => x / n)),
    );
  });

  it('errors name the file and line and leave no output; no provider says how to configure one', async () => {
    const bad = files([...INPUT.slice(0, 2), '{"type":"Doc","data":', ...INPUT.slice(2)]);
    const r = await runCli(['embed', ...bad.args, '--json'], MOCK);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({
      code: 'DataFileError',
      details: { file: bad.input, line: 3, rule: 'json' },
    });
    expect(existsSync(bad.output)).toBe(false);
    expect(existsSync(`${bad.output}.tmp`)).toBe(false);

    const f = files();
    const none = await runCli(['embed', ...f.args], NO_PROVIDER);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error [EmbeddingNotConfigured]');
    expect(none.stderr).toContain('in.jsonl:2');
    expect(none.stderr).toContain('LANCELOG_EMBEDDINGS=mock');
    expect(existsSync(f.output)).toBe(false);

    const both = await runCli(['embed', ...f.args, '--clean', '--reembed-all'], MOCK);
    expect(both.code).toBe(2);
    const unknown = await runCli(['embed', ...f.args, '--type', 'Nope', '--json'], MOCK);
    expect(unknown.json()).toMatchObject({ code: 'UsageError', details: { option: '--type' } });
  });
});
