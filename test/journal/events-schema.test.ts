import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, generateEventJsonSchema } from '../../src/journal/index.js';
import { packageRoot } from '../../src/version.js';

describe('journal/events.schema.json', () => {
  it('is up to date with the zod schemas (regenerate: npx tsx scripts/gen-event-schema.ts)', () => {
    const committed = readFileSync(join(packageRoot(), 'journal', 'events.schema.json'), 'utf8');
    expect(committed).toBe(generateEventJsonSchema());
  });

  it('is deterministic and covers every event kind', () => {
    const text = generateEventJsonSchema();
    expect(generateEventJsonSchema()).toBe(text);
    const doc = JSON.parse(text) as { oneOf: Array<{ properties: { kind: { const: string } } }> };
    expect(doc.oneOf.map((v) => v.properties.kind.const).sort()).toEqual([...EVENT_KINDS].sort());
  });
});
