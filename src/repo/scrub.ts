/**
 * The scrub of `lancelog doctor --deep` (docs/cli.md, docs/recovery.md "doctor"): every
 * file that a version pinned by a live branch's history needs — its manifest, its
 * transaction file, and the data, deletion, index and row-id files the manifest names —
 * must exist, have the size the manifest and the journal record, and the sha256 the
 * journal recorded when it was written (`table.committed` `files`). Each file is checked
 * once, however many versions need it. Versions cleanup removed are not needed (time
 * travel to them is `VersionCleanedUp` already). Files written before checksums existed
 * are checked for existence and size, and counted.
 */
import {
  cleanedVersionKey,
  type FileDigest,
  type Journal,
  type TablePin,
} from '../journal/index.js';
import type { TypeDef } from '../schema/types.js';
import {
  inParallel,
  relativeName,
  type FileProblem,
  type NeededFile,
  type TableLineFiles,
  type TableStore,
} from '../storage/index.js';

export interface ScrubContext {
  journal: Journal;
  store: TableStore;
  typeDef(tableKey: string): TypeDef;
}

/** A commit whose manifest version pins a damaged version. */
export interface PinningCommit {
  commitId: string;
  branch: string;
  manifestVersion: number;
}

export interface DamagedVersion {
  tableKey: string;
  lanceBranch: string | null;
  version: number;
  files: FileProblem[];
  /** false when only its transaction file is damaged: reads of it still work. */
  unreadable: boolean;
  /** The commits that pin it (in the history of a live branch). */
  commits: PinningCommit[];
  /** Live branches whose head pins it. */
  heads: string[];
  /** A repair already recorded it (`repair.damage_recorded`): reported, not a new problem. */
  known: boolean;
}

export interface ScrubReport {
  /** Distinct table versions checked. */
  versions: number;
  /** Distinct files checked, and their bytes on disk. */
  files: number;
  bytes: number;
  /** Files whose sha256 was compared with the journal's. */
  hashed: number;
  /** Files no checksum was recorded for (written before checksums): existence and size only. */
  withoutChecksum: number;
  ms: number;
  damaged: DamagedVersion[];
}

interface VersionEntry {
  pin: TablePin;
  commits: PinningCommit[];
  heads: Set<string>;
  files: string[];
  problems: FileProblem[];
}

const keyOf = (p: TablePin): string => cleanedVersionKey(p.tableKey, p.lanceBranch, p.version);

/** Every version the history of a live branch pins, with the commits that pin it. */
function pinnedVersions(journal: Journal): Map<string, VersionEntry> {
  const cleaned = journal.cleanedVersions();
  const out = new Map<string, VersionEntry>();
  const seen = new Set<string>();
  const entry = (pin: TablePin): VersionEntry | undefined => {
    const key = keyOf(pin);
    if (cleaned.has(key)) return undefined;
    let e = out.get(key);
    if (!e) out.set(key, (e = { pin, commits: [], heads: new Set(), files: [], problems: [] }));
    return e;
  };
  for (const b of journal.listBranches()) {
    for (const pin of journal.latestPins(b.name)) entry(pin)?.heads.add(b.name);
    // Branches share the commits they inherit: each commit's pins are read once.
    for (const c of journal.listCommits({ branch: b.name })) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      for (const pin of journal.snapshot({ commitId: c.id }).pins)
        entry(pin)?.commits.push({
          commitId: c.id,
          branch: c.branch,
          manifestVersion: c.manifestVersion,
        });
    }
  }
  return out;
}

interface FileEntry {
  need: NeededFile;
  tableKey: string;
  line: TableLineFiles;
}

/** Reads each version's manifest: the files it needs, or the problem with the manifest. */
async function collectNeeds(
  ctx: ScrubContext,
  versions: Map<string, VersionEntry>,
): Promise<Map<string, FileEntry>> {
  const files = new Map<string, FileEntry>();
  for (const e of versions.values()) {
    const def = ctx.typeDef(e.pin.tableKey);
    const tf = ctx.store.lineFiles(def.tableKey, def.tablePath, e.pin.lanceBranch);
    const found = await tf.needs(e.pin.version);
    if ('manifest' in found) {
      e.problems.push(found.manifest);
      continue;
    }
    for (const need of found.needs) {
      const key = `${def.tableKey}\0${need.file}`;
      e.files.push(key);
      if (!files.has(key)) files.set(key, { need, tableKey: def.tableKey, line: tf });
    }
  }
  return files;
}

/** Checks every file (four at a time) against the journal's records; returns the problems by file. */
async function checkAll(
  files: Map<string, FileEntry>,
  records: Map<string, Map<string, FileDigest>>,
  report: ScrubReport,
): Promise<Map<string, FileProblem>> {
  const problems = new Map<string, FileProblem>();
  const entries = [...files];
  await inParallel(entries, 4, async ([key, f]) => {
    const recorded = records.get(f.tableKey)?.get(relativeName(f.line.datasetDir, f.need.file));
    if (recorded === undefined) report.withoutChecksum++;
    const r = await f.line.checkFile(f.need, recorded);
    report.bytes += r.size ?? 0;
    if (r.hashed) report.hashed++;
    if (r.problem) problems.set(key, r.problem);
  });
  report.files = entries.length;
  return problems;
}

/** The scrub: every needed file of every pinned version (see the module comment). */
export async function scrub(ctx: ScrubContext): Promise<ScrubReport> {
  const started = performance.now();
  const versions = pinnedVersions(ctx.journal);
  const report: ScrubReport = {
    versions: versions.size,
    files: 0,
    bytes: 0,
    hashed: 0,
    withoutChecksum: 0,
    ms: 0,
    damaged: [],
  };
  const files = await collectNeeds(ctx, versions);
  const problems = await checkAll(files, ctx.journal.fileRecords(), report);
  const recorded = ctx.journal.damageRecords().versions;
  for (const [key, e] of versions) {
    for (const f of e.files) {
      const p = problems.get(f);
      if (p) e.problems.push(p);
    }
    if (e.problems.length === 0) continue;
    report.damaged.push({
      tableKey: e.pin.tableKey,
      lanceBranch: e.pin.lanceBranch,
      version: e.pin.version,
      files: e.problems,
      unreadable: e.problems.some((p) => p.kind !== 'transaction'),
      commits: e.commits,
      heads: [...e.heads].sort(),
      // Known: a repair recorded it, and nothing since pins it (Lance may number a new
      // commit as a damaged version whose manifest was lost).
      known:
        e.commits.length > 0 &&
        e.commits.every((c) => recorded.get(key)?.commits.has(c.commitId) ?? false),
    });
  }
  report.ms = performance.now() - started;
  return report;
}
