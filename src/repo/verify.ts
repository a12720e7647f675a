/** `journal verify` beyond the journal itself: invariant I1 (Lance HEAD == pin) on every live branch. */
import { MAIN_BRANCH, type Journal, type VerifyReport } from '../journal/index.js';
import type { TableStore } from '../storage/index.js';
import type { TypeDef } from '../schema/types.js';
import type { PinCheck, VerifyResult } from './types.js';

/** I1 for every table of one branch. */
async function checkBranchPins(
  journal: Journal,
  store: TableStore,
  typeDef: (tableKey: string) => TypeDef,
  branch: string,
): Promise<PinCheck[]> {
  const owned = new Set(
    journal.listForks(branch).map((f) => `${f.tableKey}\u0000${f.lanceBranch}`),
  );
  const checks: PinCheck[] = [];
  for (const pin of journal.latestPins(branch)) {
    const def = typeDef(pin.tableKey);
    // I1 binds the Lance line a branch writes to: main's own line, or a Lance
    // branch it forked. A pin inherited from a parent (not forked yet) names a
    // version of the parent's line, whose HEAD the parent keeps moving; for it
    // the version only has to exist.
    const inherited =
      pin.lanceBranch === null
        ? branch !== MAIN_BRANCH
        : !owned.has(`${pin.tableKey}\u0000${pin.lanceBranch}`);
    let head: number | null = null;
    let versionExists = false;
    try {
      head = await store.headVersion(def.tableKey, def.tablePath, pin.lanceBranch ?? undefined);
      versionExists = inherited ? head >= pin.version : head === pin.version;
    } catch {
      head = null;
    }
    checks.push({
      branch,
      tableKey: pin.tableKey,
      pin: pin.version,
      head,
      lanceBranch: pin.lanceBranch,
      inherited,
      ok: versionExists,
    });
  }
  return checks;
}

function describeFailure(x: PinCheck): string {
  return x.inherited
    ? `inherited pin unreadable: ${x.tableKey} on branch ${x.branch}: pin ${x.pin}, Lance HEAD ${x.head ?? 'missing'}`
    : `I1 violated: ${x.tableKey} on branch ${x.branch}: pin ${x.pin}, Lance HEAD ${x.head ?? 'missing'}${x.lanceBranch ? ` (Lance branch ${x.lanceBranch})` : ''}`;
}

/** `Repo.verify`: the journal's own report plus I1 for every table on every live branch. */
export async function verifyRepo(
  journal: Journal,
  store: TableStore,
  typeDef: (tableKey: string) => TypeDef,
): Promise<VerifyResult> {
  const report: VerifyReport = journal.verify();
  const i1: PinCheck[] = [];
  for (const branch of journal.listBranches())
    i1.push(...(await checkBranchPins(journal, store, typeDef, branch.name)));
  const differences = [...report.differences, ...i1.filter((x) => !x.ok).map(describeFailure)];
  return { ...report, differences, ok: report.ok && differences.length === 0, i1 };
}
