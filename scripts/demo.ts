/**
 * The README's first command: create a repo in a temp directory from a fixture
 * schema and show what Lancelog did. Runs from the built package (dist/scripts/demo.js).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo, lancelogVersion } from '../src/index.js';
import { packageRoot } from '../src/version.js';

const keep = process.argv.includes('--keep');

async function main(): Promise<void> {
  const schemaFile = join(packageRoot(), 'test', 'fixtures', 'omnigraph', 'context.pg');
  const dir = join(mkdtempSync(join(tmpdir(), 'lancelog-demo-')), 'repo');
  console.log(`lancelog ${lancelogVersion()} demo`);
  console.log(`\n$ lancelog init --schema ${schemaFile} ${dir}`);
  const init = await Repo.init(dir, { schemaSource: readFileSync(schemaFile, 'utf8'), schemaFile });
  console.log(`created ${init.tables.length} empty Lance tables (one per node and edge type):`);
  for (const t of init.tables) console.log(`  ${t.tableKey.padEnd(24)} ${t.tablePath}.lance  version ${t.version}`);

  const repo = await Repo.open(dir);
  try {
    console.log(`\n$ lancelog schema show ${dir}`);
    for (const n of repo.catalog.nodes) {
      console.log(`  node ${n.name}: ${n.properties.map((p) => `${p.name}${p.nullable ? '?' : ''}`).join(', ')}${n.constraints.key.length ? `  (key: ${n.constraints.key[0]})` : ''}`);
    }
    for (const e of repo.catalog.edges) console.log(`  edge ${e.name}: ${e.from} -> ${e.to}  card ${e.card.min}..${e.card.max ?? '*'}`);
    console.log('\nTables as published on main (pinned Lance version, rows):');
    for (const t of await repo.tables()) console.log(`  ${t.tableKey.padEnd(24)} v${t.pinnedVersion}  ${t.rows} rows`);
  } finally {
    await repo.close();
  }
  if (keep) console.log(`\nkept the repo at ${dir}`);
  else {
    rmSync(join(dir, '..'), { recursive: true, force: true });
    console.log(`\nremoved ${dir} (run with --keep to keep it)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
