/** `journal verify` beyond the journal itself: invariant I1 (Lance HEAD == pin) on every live branch. */
import { LancelogError } from '../errors.js';
import { MAIN_BRANCH, type Journal, type VerifyReport } from '../journal/index.js';
import type { TableStore } from '../storage/index.js';
import type { TypeDef } from '../schema/types.js';
import type { PinCheck, VerifyResult } from './types.js';

/** What storage says when a table, its Lance branch or its version is not there. */
const MISSING = new Set(['TableNotFound', 'BranchNotFound', 'VersionNotFound']);

/**
 * Lance HEAD of a pinned table: null when the table (or its Lance branch) is not there,
 * or the error when it is there but cannot be read (a damaged manifest, a permission):
 * that is not "missing", and doctor must not treat it as a version it can re-pin past.
 */
async function headOf(
  store: TableStore,
  def: TypeDef,
  lanceBranch: string | null,
): Promise<{ head: number | null; error?: { code: string; message: string } }> {
  try {
    return { head: await store.headVersion(def.tableKey, def.tablePath, lanceBranch ?? undefined) };
  } catch (err) {
    if (err instanceof LancelogError && MISSING.has(err.code)) return { head: null };
    const code = err instanceof LancelogError ? err.code : 'StorageFailure';
    return { head: null, error: { code, message: (err as Error).message } };
  }
}

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
    const { head, error } = await headOf(store, def, pin.lanceBranch);
    const versionExists = head !== null && (inherited ? head >= pin.version : head === pin.version);
    checks.push({
      branch,
      tableKey: pin.tableKey,
      pin: pin.version,
      head,
      lanceBranch: pin.lanceBranch,
      inherited,
      ok: versionExists,
      ...(error ? { error } : {}),
    });
  }
  return checks;
}

function describeFailure(x: PinCheck): string {
  if (x.error)
    return `table unreadable: ${x.tableKey} on branch ${x.branch}: pin ${x.pin}, Lance HEAD cannot be read (${x.error.code}: ${x.error.message})`;
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
