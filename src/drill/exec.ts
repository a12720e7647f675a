/** Runs one drill operation through its real writer (used by the child and the batched runner). */
import { setTimeout } from 'node:timers/promises';
import type { Repo } from '../repo.js';
import { DRILL_GQ, loadText, type DrillOp } from './model.js';

export const DRILL_ACTOR = 'drill';

export async function executeOp(
  repo: Repo,
  op: DrillOp,
  branch: string,
): Promise<{ opId: string; commitId: string | null }> {
  switch (op.writer) {
    case 'tx': {
      if (op.pauseMsBefore) await setTimeout(op.pauseMsBefore);
      const out = await repo.transaction(
        async (tx) => {
          for (const r of op.inserts) tx.insert(r.type, { name: r.name, ...r.data });
          for (const l of op.links) tx.link('WorksAt', l.from, l.to, { ...l.data });
          for (const u of op.updates) await tx.update(u.type, u.name, { ...u.patch });
          for (const d of op.deletes) await tx.delete(d.type, d.name);
        },
        { branch, actor: DRILL_ACTOR },
      );
      return { opId: out.opId, commitId: out.commitId };
    }
    case 'gq': {
      const out = await repo.change({
        source: DRILL_GQ,
        file: 'drill.gq',
        name: op.query,
        params: op.params,
        branch,
        actor: DRILL_ACTOR,
      });
      return { opId: out.opId, commitId: out.commitId };
    }
    case 'index': {
      const out = await repo.ensureIndexes({ branch, actor: DRILL_ACTOR, types: op.types });
      return { opId: out.opId, commitId: out.commitId };
    }
    case 'optimize': {
      const out = await repo.optimize({ branch, actor: DRILL_ACTOR });
      const last = out.tables.filter((t) => t.commitId !== null).at(-1) ?? out.tables.at(-1);
      return { opId: last?.opId ?? '-', commitId: last?.commitId ?? null };
    }
    case 'cleanup': {
      const out = await repo.cleanup({
        keep: op.keep,
        olderThanMs: null,
        confirm: true,
        actor: DRILL_ACTOR,
      });
      const last = out.tables.filter((t) => t.opId !== null).at(-1);
      return { opId: last?.opId ?? '-', commitId: last?.commitId ?? null };
    }
    case 'merge': {
      const out = await repo.merge({ source: op.source, target: branch, actor: DRILL_ACTOR });
      return { opId: out.opId ?? 'none', commitId: out.commitId };
    }
    default: {
      const mode = op.writer.endsWith('append')
        ? 'append'
        : op.writer.endsWith('merge')
          ? 'merge'
          : 'overwrite';
      // Chunked writers: the chunked path from the first byte, one row per Lance commit.
      const chunks = op.writer.startsWith('load-chunked-') ? { chunkBytes: 0, chunkRows: 1 } : {};
      const out = await repo.load(
        { text: loadText(op), file: 'drill.jsonl' },
        { mode, branch, actor: DRILL_ACTOR, ...chunks },
      );
      return { opId: out.opId, commitId: out.commitId };
    }
  }
}
