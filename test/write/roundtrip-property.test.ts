/**
 * Exact values (issue 16 part 2): over generated schemas (every scalar type, nullable
 * and not, lists, vectors, enums, blobs) and generated rows full of extremes, a JSONL
 * load → export → load into a fresh repo is the identity (same stored rows) and the
 * second export is the same text as the first. Values written to the data file are
 * also checked against what the first export says (64-bit integers to the last digit,
 * F32 to the float32, DateTime to the millisecond).
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportJsonl, loadJsonl, type ExportOptions, type Repo } from '../../src/index.js';
import { parseJsonExact, stringifyJsonExact } from '../../src/json-exact.js';
import { canonicalValue } from '../../src/write/protocol/staging/values.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

type Kind =
  | 'String'
  | 'Bool'
  | 'I32'
  | 'U32'
  | 'I64'
  | 'U64'
  | 'F32'
  | 'F64'
  | 'Date'
  | 'DateTime'
  | 'Blob'
  | 'enum'
  | 'vector'
  | 'list:String'
  | 'list:I64'
  | 'list:F32'
  | 'list:Date'
  | 'list:Bool'
  | 'list:DateTime';
const KINDS: Kind[] = [
  'String',
  'Bool',
  'I32',
  'U32',
  'I64',
  'U64',
  'F32',
  'F64',
  'Date',
  'DateTime',
  'Blob',
  'enum',
  'vector',
  'list:String',
  'list:I64',
  'list:F32',
  'list:Date',
  'list:Bool',
  'list:DateTime',
];
const ENUM = ['a', 'b b', 'ç'];
const DIM = 3;

function typeText(k: Kind): string {
  if (k === 'enum') return `enum(a, "b b", "ç")`;
  if (k === 'vector') return `Vector(${DIM})`;
  if (k.startsWith('list:')) return `[${k.slice(5)}]`;
  return k;
}

const F32_EXTREMES = [0, -0, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38];
const F64_EXTREMES = [0, -0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1];
const f32 = fc.oneof(
  fc.constantFrom(...F32_EXTREMES),
  fc.float({ noNaN: true, noDefaultInfinity: true }),
);
const TEXT_EXTREMES = [
  '',
  '"',
  '\\',
  '\u0000\u0001\u001f',
  '\n\t\r',
  '😀𝄞',
  '\u2028\u2029',
  '\uffff',
];
const text = fc.oneof(
  fc.constantFrom(...TEXT_EXTREMES),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const date = fc
  .date({
    min: new Date('0001-01-01T00:00:00Z'),
    max: new Date('9999-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));
const dateTime = fc
  .tuple(
    fc.date({
      min: new Date('1000-01-01T00:00:00Z'),
      max: new Date('9999-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    fc.constantFrom('Z', '+00:00', '+05:30', '-08:00', '+14:00'),
  )
  .map(([d, off]) => {
    const iso = d.toISOString(); // …T12:34:56.789Z
    if (off === 'Z') return iso;
    // the same instant written in another offset
    const sign = off[0] === '+' ? 1 : -1;
    const mins = sign * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
    const local = new Date(d.getTime() + mins * 60_000).toISOString().slice(0, 23);
    return `${local}${off}`;
  });
const i64 = fc.oneof(
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n),
  fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
);
const u64 = fc.oneof(
  fc.constantFrom(0n, 2n ** 64n - 1n, 2n ** 53n + 1n),
  fc.bigInt(0n, 2n ** 64n - 1n),
);

function valueOf(k: Kind): fc.Arbitrary<unknown> {
  switch (k) {
    case 'String':
      return text;
    case 'Bool':
      return fc.boolean();
    case 'I32':
      return fc.oneof(fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0), fc.integer());
    case 'U32':
      return fc.oneof(fc.constantFrom(0, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));
    case 'I64':
      // As a JSON number, or as a string of digits (both accepted).
      return fc.tuple(i64, fc.boolean()).map(([v, asText]) => (asText ? v.toString() : v));
    case 'U64':
      return u64;
    case 'F32':
      return f32;
    case 'F64':
      return fc.oneof(
        fc.constantFrom(...F64_EXTREMES),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      );
    case 'Date':
      return date;
    case 'DateTime':
      return dateTime;
    case 'Blob':
      return fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('base64'));
    case 'enum':
      return fc.constantFrom(...ENUM);
    case 'vector':
      return fc.array(f32, { minLength: DIM, maxLength: DIM });
    default:
      return fc.array(valueOf(k.slice(5) as Kind), { maxLength: 3 });
  }
}

interface Prop {
  name: string;
  kind: Kind;
  nullable: boolean;
  /** A nullable column that is null in every row of the file. */
  allNull: boolean;
}

const propsArb: fc.Arbitrary<Prop[]> = fc
  .tuple(
    fc.shuffledSubarray(KINDS, { minLength: KINDS.length }),
    fc.array(fc.tuple(fc.boolean(), fc.boolean()), {
      minLength: KINDS.length,
      maxLength: KINDS.length,
    }),
  )
  .map(([kinds, flags]) =>
    kinds.map((kind, i) => ({
      name: `p${i}`,
      kind,
      nullable: flags[i][0],
      allNull: flags[i][0] && flags[i][1],
    })),
  );

function rowArb(props: Prop[]): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of props) {
    if (p.allNull) fields[p.name] = fc.constant(undefined);
    else if (p.nullable) fields[p.name] = fc.option(valueOf(p.kind), { nil: undefined });
    else fields[p.name] = valueOf(p.kind);
  }
  return fc.record(fields);
}

const caseArb = fc
  .tuple(
    propsArb,
    propsArb.map((ps) => ps.slice(0, 4)),
  )
  .chain(([nodeProps, edgeProps]) =>
    fc.record({
      nodeProps: fc.constant(nodeProps),
      edgeProps: fc.constant(edgeProps),
      nodes: fc.array(rowArb(nodeProps), { minLength: 1, maxLength: 5 }),
      edges: fc.array(fc.tuple(fc.nat(), fc.nat(), rowArb(edgeProps)), { maxLength: 5 }),
    }),
  );

function schemaOf(nodeProps: Prop[], edgeProps: Prop[]): string {
  const decl = (ps: Prop[]) =>
    ps.map((p) => `  ${p.name}: ${typeText(p.kind)}${p.nullable ? '?' : ''}`).join('\n');
  // Flag: an edge type whose only property is a Bool, null in every row.
  return `node N {\n  k: String @key\n${decl(nodeProps)}\n}\nedge E: N -> N {\n${decl(edgeProps)}\n}\nedge Flag: N -> N { ok: Bool? }\n`;
}

function dataFile(c: CaseValue): string {
  const keys = c.nodes.map((_, i) => `k${i}\u{1F600}"`);
  const lines = c.nodes.map((data, i) =>
    stringifyJsonExact({ type: 'N', data: { k: keys[i], ...data } }),
  );
  for (const [a, b, data] of c.edges) {
    const from = keys[a % keys.length];
    const to = keys[b % keys.length];
    lines.push(stringifyJsonExact({ edge: 'E', from, to, data }));
    lines.push(stringifyJsonExact({ edge: 'Flag', from, to }));
  }
  return `${lines.join('\n')}\n`;
}
type CaseValue = {
  nodeProps: Prop[];
  edgeProps: Prop[];
  nodes: Record<string, unknown>[];
  edges: [number, number, Record<string, unknown>][];
};

async function exportText(repo: Repo, opts: ExportOptions = {}): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportJsonl(repo, out, {}, opts);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

async function storedRows(repo: Repo): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of ['N', 'E', 'Flag']) {
    const rows = (await repo.scan(t)).map((r) => {
      const { id, ...rest } = r;
      return t === 'N' ? { id, ...rest } : rest; // edge ids are regenerated by a load
    });
    out[t] = rows
      .map((r) => [Object.values(r).map(canonicalValue).join('|'), r] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, r]) => r);
  }
  return out;
}

/** What a written value must read back as, in the export's JSON form. */
function expected(kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'I64':
    case 'U64': {
      const big = BigInt(v as bigint | string);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'F32':
      return Math.fround(v as number);
    case 'vector':
      return (v as number[]).map((x) => Math.fround(x));
    case 'DateTime':
      return new Date(Date.parse(v as string)).toISOString();
    default:
      if (kind.startsWith('list:'))
        return (v as unknown[]).map((x) => expected(kind.slice(5) as Kind, x));
      return v;
  }
}

/** An export's value as the stored float (a float printed with 16+ digits parses as a bigint). */
function readBack(kind: Kind, v: unknown): unknown {
  const num = (x: unknown) => Number(x as number | bigint);
  if (kind === 'F64') return num(v);
  if (kind === 'F32') return Math.fround(num(v));
  if (kind === 'vector' || kind === 'list:F32')
    return (v as unknown[]).map((x) => Math.fround(num(x)));
  return v;
}

describe('load → export → load (property)', () => {
  it('is the identity and exports the same text, for every type and extreme value', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const schema = schemaOf(c.nodeProps, c.edgeProps);
        const dir = tmp();
        const first = await makeRepo(join(dir, 'a'), schema);
        const second = await makeRepo(join(dir, 'b'), schema);
        try {
          const ctx = first.operationContext();
          await loadJsonl(ctx, { text: dataFile(c), file: 'gen.jsonl' }, { mode: 'append' });
          const text1 = await exportText(first);
          // The external sort (every table past 0 rows in memory) gives the same text.
          expect(await exportText(first, { sortInMemoryRows: 0 })).toBe(text1);
          // Every written value reads back exactly (in the export's JSON form).
          const exported = text1
            .trim()
            .split('\n')
            .map((l) => parseJsonExact(l) as { type?: string; data: Record<string, unknown> })
            .filter((l) => l.type === 'N');
          expect(exported).toHaveLength(c.nodes.length);
          const byKey = new Map(exported.map((l) => [l.data.k as string, l.data]));
          c.nodes.forEach((row, i) => {
            const got = byKey.get(`k${i}\u{1F600}"`)!;
            for (const p of c.nodeProps) {
              const want = row[p.name] === undefined ? undefined : expected(p.kind, row[p.name]);
              const have = got[p.name] === undefined ? undefined : readBack(p.kind, got[p.name]);
              expect(have, `${p.name}: ${p.kind}`).toEqual(want);
            }
          });
          await loadJsonl(
            second.operationContext(),
            { text: text1, file: 'export.jsonl' },
            { mode: 'append' },
          );
          expect(await storedRows(second)).toEqual(await storedRows(first));
          expect(await exportText(second)).toBe(text1);
        } finally {
          await first.close();
          await second.close();
        }
      }),
      { numRuns: Number(process.env.ROUNDTRIP_RUNS ?? 15), endOnFailure: true },
    );
  }, 120_000);
});
