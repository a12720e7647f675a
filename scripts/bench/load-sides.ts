/**
 * The two sides of the load bench, usable in-process or from load-child.ts (for
 * peak RSS, which is per process).
 *
 *  - lancelog: `loadJsonl` (append mode) into a fresh repo — JSONL read, validated,
 *    staged, one Lance commit per table through the write protocol.
 *  - raw (jsonl): the minimal raw-LanceDB loader of the same file: read lines,
 *    JSON.parse, the same stored rows (keyed id, ULID edge ids, Dates), one
 *    `makeArrowTable` + `add` per table (one commit per table, like lancelog).
 *  - raw (prebuilt): `add` of those same Arrow tables, built beforehand (pure Lance
 *    write throughput).
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { monotonicFactory } from 'ulid';
import type * as arrow from 'apache-arrow';
import { Repo, compileSchema, loadJsonl } from '../../src/index.js';
import { arrowSchemaFor } from '../../src/schema/index.js';
import { RawLance, rawArrowTable, type RawLanceTable } from '../../src/storage/index.js';
import { GRAPH_PG } from './gen-graph.js';

export interface LoadOutcome {
  rows: number;
  ms: number;
}

export async function initRepo(dir: string): Promise<void> {
  await Repo.init(dir, { schemaSource: GRAPH_PG, schemaFile: 'graph.pg' });
}

/** lancelog: loadJsonl into the (fresh, initialised) repo at `dir`. Open/close are outside the timing. */
export async function lancelogLoad(dir: string, data: string): Promise<LoadOutcome> {
  const repo = await Repo.open(dir);
  try {
    const t0 = performance.now();
    const r = await loadJsonl(repo.operationContext(), { path: data }, { mode: 'append' });
    const ms = performance.now() - t0;
    const rows =
      Object.values(r.nodes).reduce((a, b) => a + b, 0) +
      Object.values(r.edges).reduce((a, b) => a + b, 0);
    return { rows, ms };
  } finally {
    await repo.close();
  }
}

const catalog = compileSchema(GRAPH_PG, 'graph.pg');
export const PERSON_SCHEMA = arrowSchemaFor(catalog.nodes[0]);
export const KNOWS_SCHEMA = arrowSchemaFor(catalog.edges[0]);

/** The rows lancelog stores for the generated graph, parsed from the JSONL. */
export async function parseGraph(
  data: string,
): Promise<{ persons: Record<string, unknown>[]; knows: Record<string, unknown>[] }> {
  const newId = monotonicFactory();
  const persons: Record<string, unknown>[] = [];
  const knows: Record<string, unknown>[] = [];
  const rl = createInterface({
    input: createReadStream(data, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  for await (const line of rl) {
    if (line === '') continue;
    const o = JSON.parse(line) as {
      type?: string;
      edge?: string;
      from?: string;
      to?: string;
      data: Record<string, unknown>;
    };
    if (o.type !== undefined) {
      const d = o.data;
      persons.push({
        id: d.name,
        name: d.name,
        age: d.age,
        email: d.email,
        city: d.city,
        bio: d.bio,
        joined: d.joined === undefined ? null : new Date(d.joined as string),
      });
    } else {
      const d = o.data ?? {};
      knows.push({
        id: newId(),
        src: o.from,
        dst: o.to,
        since: d.since === undefined ? null : new Date(d.since as string),
        weight: d.weight ?? null,
      });
    }
  }
  return { persons, knows };
}

/**
 * A fresh raw LanceDB directory with empty person/knows tables; `write` (the measured
 * part) fills them and returns the rows written.
 */
async function timedRawWrite(
  dir: string,
  write: (person: RawLanceTable, knows: RawLanceTable) => Promise<number>,
): Promise<LoadOutcome> {
  mkdirSync(dir, { recursive: true });
  const raw = await RawLance.connect(dir);
  try {
    const person = await raw.createEmptyTable('person', PERSON_SCHEMA);
    const knows = await raw.createEmptyTable('knows', KNOWS_SCHEMA);
    const t0 = performance.now();
    const rows = await write(person, knows);
    const ms = performance.now() - t0;
    person.close();
    knows.close();
    return { rows, ms };
  } finally {
    raw.close();
  }
}

/** raw (jsonl): parse + build Arrow + add, one commit per table, into a fresh dir. */
export function rawLoad(dir: string, data: string): Promise<LoadOutcome> {
  return timedRawWrite(dir, async (person, knows) => {
    const g = await parseGraph(data);
    await person.add(rawArrowTable(g.persons, PERSON_SCHEMA));
    await knows.add(rawArrowTable(g.knows, KNOWS_SCHEMA));
    return g.persons.length + g.knows.length;
  });
}

/** raw (prebuilt): only the two `add`s of Arrow tables built beforehand. */
export function rawAddPrebuilt(
  dir: string,
  tables: { person: arrow.Table; knows: arrow.Table },
): Promise<LoadOutcome> {
  return timedRawWrite(dir, async (person, knows) => {
    await person.add(tables.person);
    await knows.add(tables.knows);
    return tables.person.numRows + tables.knows.numRows;
  });
}

export async function prebuild(data: string): Promise<{ person: arrow.Table; knows: arrow.Table }> {
  const g = await parseGraph(data);
  return {
    person: rawArrowTable(g.persons, PERSON_SCHEMA),
    knows: rawArrowTable(g.knows, KNOWS_SCHEMA),
  };
}

export const dirs = (work: string, side: string, r: number): string => join(work, `${side}-${r}`);
