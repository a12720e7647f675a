import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileSchema,
  edgeTypeNamed,
  findEdgeType,
  findNodeType,
  findNodeTypeIgnoringCase,
  findType,
  nodeTypeNamed,
  typeIndex,
} from '../../src/schema/index.js';
import { ROOT } from '../helpers/cli.js';

const catalog = compileSchema(
  readFileSync(join(ROOT, 'test', 'fixtures', 'omnigraph', 'test.pg'), 'utf8'),
  'test.pg',
);

describe('type lookup (src/schema/lookup.ts)', () => {
  it('finds nodes by exact name or table key, edges by name in any case or table key', () => {
    for (const n of catalog.nodes) {
      expect(findNodeType(catalog, n.name)).toBe(n);
      expect(findNodeType(catalog, n.tableKey)).toBe(n);
      expect(findType(catalog, n.tableKey)).toBe(n);
      expect(findNodeType(catalog, n.name.toUpperCase())).toBeUndefined();
      expect(findNodeTypeIgnoringCase(catalog, n.name.toUpperCase())).toBe(n);
    }
    for (const e of catalog.edges) {
      expect(findEdgeType(catalog, e.name.toLowerCase())).toBe(e);
      expect(findEdgeType(catalog, e.tableKey)).toBe(e);
      expect(findType(catalog, e.name.toUpperCase())).toBe(e);
    }
    expect(findType(catalog, 'Nope')).toBeUndefined();
  });

  it('name-only lookups refuse a table key; the index answers exactly as they do', () => {
    const index = typeIndex(catalog);
    const probes = [
      ...catalog.nodes.flatMap((n) => [n.name, n.name.toLowerCase(), n.tableKey]),
      ...catalog.edges.flatMap((e) => [e.name, e.name.toUpperCase(), e.tableKey]),
      'Nope',
      'toString',
      '',
    ];
    for (const p of probes) {
      expect(index.nodeNamed(p), p).toBe(nodeTypeNamed(catalog, p));
      expect(index.edgeNamed(p), p).toBe(edgeTypeNamed(catalog, p));
    }
    expect(nodeTypeNamed(catalog, catalog.nodes[0].tableKey)).toBeUndefined();
    expect(edgeTypeNamed(catalog, catalog.edges[0].tableKey)).toBeUndefined();
  });
});
