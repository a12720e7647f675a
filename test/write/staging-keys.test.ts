import { describe, it, expect } from 'vitest';
import { compileSchema } from '../../src/schema/index.js';
import { StagedOperation, type CommittedReader } from '../../src/write/protocol/staging/staging.js';
import type { TypeDef } from '../../src/schema/types.js';

const catalog = compileSchema(
  'node Person { name: String @key }\nnode Note { text: String }\nedge Knows: Person -> Person\n',
  's.pg',
);

/** Committed data: one Person 'a', one Note and one edge; records every scan by table. */
function reader(): CommittedReader & { scans: string[] } {
  const rows: Record<string, Array<Record<string, unknown>>> = {
    'node:Person': [{ id: 'a', name: 'a' }],
    'node:Note': [{ id: 'n-existing', text: 'x' }],
    'edge:Knows': [{ id: 'e-existing', src: 'a', dst: 'a' }],
  };
  const scans: string[] = [];
  return {
    scans,
    async scan(def: TypeDef, opts) {
      scans.push(`${def.tableKey} ${opts.where ?? ''}`);
      // idInPredicate's SQL: the column quoted by sqlIdent, then the ids.
      const m = /^`id` IN \((.*)\)$/.exec(opts.where ?? '');
      const ids = m ? m[1].split(',').map((x) => x.trim().replace(/^'|'$/g, '')) : null;
      return rows[def.tableKey].filter((r) => ids === null || ids.includes(String(r.id)));
    },
    async count(def: TypeDef) {
      return rows[def.tableKey].length;
    },
  };
}

describe('staging: key checks against committed data', () => {
  it('ids the operation generated (edges, keyless nodes) are never looked up in committed data; they still commit as an append', async () => {
    const r = reader();
    const staged = new StagedOperation(catalog, r);
    staged.putNode('Person', { name: 'b' }, 'insert');
    const noteId = staged.putNode('Note', { text: 't' }, 'insert');
    const edgeId = staged.putEdge('Knows', 'a', 'b');
    await staged.validate();
    expect(r.scans.filter((s) => s.startsWith('edge:Knows') || s.startsWith('node:Note'))).toEqual(
      [],
    );
    // The user-keyed insert is checked.
    expect(r.scans.some((s) => s.startsWith('node:Person') && s.includes("'b'"))).toBe(true);
    const plan = staged.commitPlan();
    // In staging order; the protocol puts the tables in table-key order.
    expect(Object.fromEntries(plan.map((p) => [p.def.tableKey, p.appendOnly]))).toEqual({
      'edge:Knows': true,
      'node:Note': true,
      'node:Person': true,
    });
    const idsOf = (key: string): unknown[] =>
      (plan.find((p) => p.def.tableKey === key)!.upserts as Array<Record<string, unknown>>).map(
        (u) => u.id,
      );
    expect(idsOf('edge:Knows')).toEqual([edgeId]);
    expect(idsOf('node:Note')).toEqual([noteId]);
  });

  it('a caller-supplied id is still checked and refused when it exists', async () => {
    const staged = new StagedOperation(catalog, reader());
    staged.putEdge('Knows', 'a', 'a', {}, { id: 'e-existing', mode: 'insert' });
    await expect(staged.validate()).rejects.toMatchObject({
      code: 'ValidationError',
      details: { table: 'edge:Knows', id: 'e-existing', rule: 'key' },
    });
    const notes = new StagedOperation(catalog, reader());
    notes.putNode('Note', { id: 'n-existing', text: 'y' }, 'insert');
    await expect(notes.validate()).rejects.toMatchObject({
      details: { table: 'node:Note', id: 'n-existing', rule: 'key' },
    });
  });
});
