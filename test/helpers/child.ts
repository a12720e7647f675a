/**
 * A child process for crash tests: `node --import tsx test/helpers/child.ts <json>`.
 * Runs one action against a repo with whatever LANCELOG_FAILPOINTS its environment
 * arms; a `crash` failpoint SIGKILLs it mid-protocol.
 */
import { Repo } from '../../src/index.js';
import { runWrite } from '../../src/write/protocol/index.js';

interface Command {
  repo: string;
  /** append-many: one multi-commit table action appending each of `names` as its own Lance commit. */
  /** cleanup: `Repo.cleanup` with keep 1, confirmed. */
  action: 'insert' | 'recover' | 'open' | 'append-many' | 'cleanup';
  type?: string;
  names?: string[];
  branch?: string;
  /** Rows to insert, per type: keyed types use `name`. */
  rows?: Array<{ type: string; data: Record<string, unknown> }>;
  links?: Array<{ edge: string; from: string; to: string }>;
  deletes?: Array<{ type: string; id: string }>;
}

async function main(): Promise<void> {
  const cmd = JSON.parse(process.argv[2]) as Command;
  const repo = await Repo.open(cmd.repo, {
    recover: cmd.action !== 'insert' && cmd.action !== 'append-many' && cmd.action !== 'cleanup',
  });
  try {
    if (cmd.action === 'insert') {
      const out = await repo.transaction(
        async (tx) => {
          for (const r of cmd.rows ?? []) tx.insert(r.type, r.data);
          for (const l of cmd.links ?? []) tx.link(l.edge, l.from, l.to);
          for (const d of cmd.deletes ?? []) await tx.delete(d.type, d.id);
        },
        { branch: cmd.branch ?? 'main', actor: 'child' },
      );
      process.stdout.write(JSON.stringify({ ok: true, opId: out.opId, commitId: out.commitId }));
    } else if (cmd.action === 'append-many') {
      const out = await appendMany(repo, cmd.type ?? 'Tag', cmd.names ?? []);
      process.stdout.write(JSON.stringify({ ok: true, opId: out.opId, commitId: out.commitId }));
    } else if (cmd.action === 'cleanup') {
      const out = await repo.cleanup({ keep: 1, olderThanMs: null, confirm: true });
      process.stdout.write(JSON.stringify({ ok: true, result: out }));
    } else if (cmd.action === 'recover') {
      const report = await repo.recover();
      process.stdout.write(JSON.stringify({ ok: true, report }));
    } else {
      process.stdout.write(JSON.stringify({ ok: true }));
    }
  } finally {
    await repo.close();
  }
}

/** A multi-commit writer (as chunked loads, optimize and index builds are): one commit per name. */
async function appendMany(repo: Repo, type: string, names: string[]) {
  const ctx = repo.operationContext();
  const def = ctx.catalog.nodes.find((n) => n.name === type);
  if (!def) throw new Error(`no node type ${type}`);
  return runWrite(ctx, 'Load', { actor: 'child' }, async () => ({
    value: null,
    actions: [
      {
        def,
        commits: 'many' as const,
        async commit(handle, step) {
          let version = step.pin;
          for (const [i, name] of names.entries()) {
            if (i > 0) step.committed(version);
            version = await handle.append([{ id: name, name, n: null }]);
          }
          return version;
        },
      },
    ],
  }));
}

main().catch((err: unknown) => {
  process.stdout.write(
    JSON.stringify({ ok: false, code: (err as { code?: string }).code, message: String(err) }),
  );
  process.exitCode = 1;
});
