/**
 * Recovery never publishes what it cannot read, and never wedges (docs/recovery.md
 * "Before a roll-forward"): a writer is SIGKILLed after its Lance commit, then a file
 * that commit wrote is truncated, deleted or has a byte flipped — what a power cut or a
 * failing disk leaves. Recovery must roll the operation back (never forward onto the
 * damaged version), and the repo must stay readable and writable.
 */
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, Repo } from '../../src/index.js';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { runChild } from '../helpers/crash.js';
import { runCli } from '../helpers/cli.js';

const SCHEMA = `
node Person { name: String @key }
node Note { text: String @key }
`;

/** A .gq mutation for the CLI's `change`. */
const CHANGE = `query add() {\n  insert Person { name: "z" }\n}\n`;

type Damage = 'truncate' | 'delete' | 'flip';
const DAMAGES: Damage[] = ['truncate', 'delete', 'flip'];
const DONE: Record<Damage, string> = {
  truncate: 'truncated to 0 bytes',
  delete: 'deleted',
  flip: 'with a byte flipped',
};

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}

function damage(file: string, how: Damage): void {
  if (how === 'truncate') truncateSync(file, 0);
  else if (how === 'delete') rmSync(file);
  else {
    const b = readFileSync(file);
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(file, b);
  }
}

/** The Lance files of a table the crashed operation wrote, by kind. */
interface Crashed {
  dir: string;
  files: Record<'data' | 'manifest' | 'transaction', string>;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-damage-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A seeded repo, then an insert into `tables` killed at `failpoints`; the files it wrote in `table`. */
async function crash(name: string, failpoints: string, table: 'Person' | 'Note'): Promise<Crashed> {
  const dir = join(root, name);
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'schema.pg' });
  const repo = await Repo.open(dir);
  await repo.transaction((tx) => {
    tx.insert('Person', { name: 'a' });
    tx.insert('Note', { text: 'a' });
  });
  const tableDir = join(dir, repo.typeDef(`node:${table}`).tablePath + '.lance');
  await repo.close();
  const before = new Set(filesUnder(tableDir));
  const r = await runChild(
    {
      repo: dir,
      action: 'insert',
      rows: [
        { type: 'Person', data: { name: 'b' } },
        { type: 'Note', data: { text: 'b' } },
      ],
    },
    failpoints,
  );
  expect(r.signal).toBe('SIGKILL');
  const added = filesUnder(tableDir).filter((f) => !before.has(f));
  const pick = (re: RegExp): string => {
    const f = added.find((x) => re.test(relative(tableDir, x)));
    if (!f) throw new Error(`the crashed commit wrote no ${String(re)}: ${added.join(', ')}`);
    return f;
  };
  return {
    dir,
    files: {
      data: pick(/^data\//),
      manifest: pick(/^_versions\/\d+\.manifest$/),
      transaction: pick(/^_transactions\//),
    },
  };
}

/** A copy of the crashed repo with one file damaged. */
function damagedCopy(c: Crashed, kind: keyof Crashed['files'], how: Damage): string {
  const dir = `${c.dir}-${kind}-${how}`;
  cpSync(c.dir, dir, { recursive: true });
  damage(join(dir, relative(c.dir, c.files[kind])), how);
  return dir;
}

async function ids(repo: Repo, type: string): Promise<string[]> {
  return (await repo.scan(type)).map((r) => String(r.id)).sort();
}

/** Recovery, then reads, a write to both tables and the checks: the repo is whole. */
async function recoverAndUse(dir: string): Promise<{ decision: string; actions: string[] }> {
  const repo = await Repo.open(dir, { recover: false });
  try {
    const report = await repo.recover();
    expect(report.operations).toHaveLength(1);
    const op = report.operations[0];
    expect(op.status).toBe('applied');
    expect(await ids(repo, 'Person')).toEqual(op.decision === 'RollForward' ? ['a', 'b'] : ['a']);
    await repo.transaction((tx) => {
      tx.insert('Person', { name: 'c' });
      tx.insert('Note', { text: 'c' });
    });
    expect(await ids(repo, 'Note')).toContain('c');
    expect((await repo.verify()).ok).toBe(true);
    return { decision: op.decision ?? '-', actions: op.actions };
  } finally {
    await repo.close();
  }
}

describe('recovery before a roll-forward (a crash after the last table commit)', () => {
  let crashed: Crashed;
  beforeAll(async () => {
    // Person is committed alone (Note first, then Person: both committed when it dies).
    crashed = await crash('forward', 'write.after_table_commit=crash@2', 'Person');
  }, 120_000);

  it('without damage it rolls forward', async () => {
    const dir = `${crashed.dir}-intact`;
    cpSync(crashed.dir, dir, { recursive: true });
    expect((await recoverAndUse(dir)).decision).toBe('RollForward');
  });

  for (const kind of ['data', 'manifest', 'transaction'] as const)
    for (const how of DAMAGES)
      it(`a ${kind} file of the commit ${DONE[how]}: rolled back, the repo readable and writable`, async () => {
        const dir = damagedCopy(crashed, kind, how);
        const { decision, actions } = await recoverAndUse(dir);
        expect(decision).toBe('RollBack');
        // The damaged file is named (a deleted manifest is no commit at all: NoMovement).
        if (!(kind === 'manifest' && how === 'delete'))
          expect(actions.join('\n')).toContain(
            relative(crashed.dir, crashed.files[kind]).split('/').slice(2).join('/'),
          );
        expect((await doctor(dir)).ok).toBe(true);
      });
});

describe('the commands that wedged on a deleted data file', () => {
  let crashed: Crashed;
  beforeAll(async () => {
    crashed = await crash('cli', 'write.after_table_commit=crash@2', 'Person');
  }, 120_000);

  it('lancelog recover rolls back; a write, doctor --repair and doctor --deep succeed after it', async () => {
    const dir = damagedCopy(crashed, 'data', 'delete');
    const recovered = await runCli(['recover', '--json', dir]);
    expect(recovered.code).toBe(0);
    expect(recovered.json().operations[0].decision).toBe('RollBack');
    const gq = join(root, 'add.gq');
    writeFileSync(gq, CHANGE);
    const wrote = await runCli(['change', '--json', '--query', gq, '--name', 'add', dir]);
    expect(wrote.code, wrote.stderr).toBe(0);
    expect((await runCli(['doctor', '--repair', dir])).code).toBe(0);
    expect((await runCli(['doctor', '--deep', dir])).code).toBe(0);
  });
});

describe('recovery rolling back over a damaged commit (only the first table committed)', () => {
  let crashed: Crashed;
  beforeAll(async () => {
    crashed = await crash(
      'back',
      `${HOLD_BACK_LATER_TABLE_COMMITS};write.after_table_commit=crash@1`,
      'Note',
    );
  }, 120_000);

  for (const kind of ['data', 'manifest', 'transaction'] as const)
    for (const how of DAMAGES)
      it(`a ${kind} file of the committed table ${DONE[how]}: rolled back, nothing wedged`, async () => {
        const dir = damagedCopy(crashed, kind, how);
        expect((await recoverAndUse(dir)).decision).toBe('RollBack');
        expect((await doctor(dir, { repair: true })).ok).toBe(true);
      });
});
