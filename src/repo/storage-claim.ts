/**
 * A repo whose Lance tables live on S3-compatible storage (docs/deployment.md). With the
 * SQLite journal, the repo is the local directory that holds the journal, the sidecars,
 * the schema and the graph index files, plus `_storage.json` naming where its tables are.
 *
 * Two journals over one set of tables would each publish versions the other does not
 * know about, and recovery from either would roll the other's commits back. So the
 * prefix carries a claim, `<prefix>/_lancelog.json`, written once by init with a
 * conditional PUT (`If-None-Match: *`): it names the journal (an id, its kind, the host
 * and directory it lives on). Every open checks it and refuses a journal that is not the
 * claimant, or the claimant's directory opened from another host (a copied journal).
 * A SQLite journal serves one machine; several writer machines need a journal every
 * machine shares (docs/deployment.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import { z } from 'zod';
import { RepoError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { isS3Uri, parseS3Uri, s3Location, S3Objects } from '../storage/index.js';
import type { InitOptions } from './types.js';

/** In the repo directory: where its tables live. */
export const STORAGE_FILE = '_storage.json';
/** Under the tables' prefix: which journal owns them. */
export const CLAIM_OBJECT = '_lancelog.json';

const StorageFile = z.object({
  format: z.literal(1),
  tables: z.string().regex(/^s3:\/\//),
  journalId: z.string().min(1),
});
type StorageFile = z.infer<typeof StorageFile>;

const Claim = z.object({
  format: z.literal(1),
  journal: z.object({
    kind: z.literal('sqlite'),
    id: z.string().min(1),
    host: z.string(),
    dir: z.string(),
  }),
});
type Claim = z.infer<typeof Claim>;

function claimKey(prefix: string): string {
  return prefix === '' ? CLAIM_OBJECT : `${prefix}/${CLAIM_OBJECT}`;
}

function mismatch(repo: string, tables: string, reason: string): RepoError {
  return new RepoError(
    'StorageClaimMismatch',
    `refusing to open ${repo}: its tables at ${tables} ${reason}. ` +
      `A SQLite journal serves one machine; see docs/deployment.md`,
    { repo, tables, reason },
  );
}

/** The tables' URI of the repo at `dir`, or undefined for a repo whose tables are local. */
export function readStorageFile(dir: string): StorageFile | undefined {
  const file = join(dir, STORAGE_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    raw = { error: String(err) };
  }
  const parsed = StorageFile.safeParse(raw);
  if (!parsed.success)
    throw new RepoError('InvalidStorageUri', `${file} is not a valid storage file`, {
      uri: file,
      reason: parsed.error.issues[0]?.message ?? 'invalid',
    });
  return parsed.data;
}

/**
 * Init's first step on S3: the prefix must hold nothing, and the claim is created with
 * a conditional PUT, so of two inits racing for one prefix exactly one goes on.
 */
export async function claimTables(dir: string, tablesUri: string): Promise<StorageFile> {
  const loc = s3Location(tablesUri);
  const objects = new S3Objects(loc);
  const notEmpty = () =>
    new RepoError('RepoNotEmpty', `refusing to init: ${loc.uri} already holds objects`, {
      repo: loc.uri,
    });
  if (await objects.anyUnder(loc.bucket, loc.prefix === '' ? '' : `${loc.prefix}/`))
    throw notEmpty();
  const claim: Claim = {
    format: 1,
    journal: { kind: 'sqlite', id: ulid(), host: hostname(), dir },
  };
  const put = await objects.put(
    loc.bucket,
    claimKey(loc.prefix),
    `${JSON.stringify(claim, null, 2)}\n`,
    { ifNoneMatch: true },
  );
  if (!put.created) throw notEmpty();
  return { format: 1, tables: loc.uri, journalId: claim.journal.id };
}

/** Written by init before `_schema.pg` (which is written last). */
export function writeStorageFile(dir: string, file: StorageFile): void {
  writeFileAtomic(join(dir, STORAGE_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** Every open of an S3 repo: the claim must name this journal, on this host. */
export async function checkClaim(dir: string, file: StorageFile): Promise<void> {
  const loc = s3Location(file.tables);
  const raw = await new S3Objects(loc).get(loc.bucket, claimKey(loc.prefix));
  if (raw === undefined) throw mismatch(dir, loc.uri, 'carry no claim (no _lancelog.json)');
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw mismatch(dir, loc.uri, 'carry an unreadable claim (_lancelog.json)');
  }
  const parsed = Claim.safeParse(json);
  if (!parsed.success) throw mismatch(dir, loc.uri, 'carry an invalid claim (_lancelog.json)');
  const { journal } = parsed.data;
  if (journal.id !== file.journalId)
    throw mismatch(
      dir,
      loc.uri,
      `are claimed by another journal (${journal.dir} on ${journal.host})`,
    );
  if (journal.host !== hostname())
    throw mismatch(
      dir,
      loc.uri,
      `are claimed by this journal on host ${journal.host}, and this is ${hostname()}`,
    );
}

/** `s3://…` given where a repo directory is expected: the journal directory it needs. */
function s3RepoDir(uri: string, journal: string | undefined): string {
  const { uri: normal } = parseS3Uri(uri);
  if (journal === undefined || journal === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(journal))
    throw new RepoError(
      'InvalidStorageUri',
      `${normal}: an S3 repo needs its journal: --journal <local directory> ` +
        `(the SQLite journal, one machine; docs/deployment.md)`,
      { uri: normal, reason: 'no journal directory', variable: 'journal' },
    );
  return journal;
}

/** The open of `s3://…` with `journal`: the directory's storage file must name that URI. */
function checkStorageMatches(dir: string, uri: string): void {
  const { uri: normal } = parseS3Uri(uri);
  const file = readStorageFile(dir);
  if (file === undefined || file.tables !== normal)
    throw mismatch(
      dir,
      normal,
      file === undefined
        ? 'are not this repo’s: it keeps its tables locally'
        : `are not this repo’s: it keeps its tables at ${file.tables}`,
    );
}

/** What `Repo.init(target, opts)` creates: a directory, or `s3://…` with its journal's. */
export function initTarget(target: string, opts: InitOptions): { dir: string; opts: InitOptions } {
  const { journal, ...rest } = opts;
  if (isS3Uri(target))
    return { dir: s3RepoDir(target, journal), opts: { ...rest, tables: target } };
  if (journal !== undefined)
    throw new RepoError(
      'InvalidStorageUri',
      `--journal applies only to an s3:// repo (the journal of '${target}' is in it)`,
      { uri: target, reason: 'journal without s3://', variable: 'journal' },
    );
  return { dir: target, opts: rest };
}

/** The directory `Repo.open(target)` opens: `target`, or the journal of `s3://…`, checked. */
export function openTarget(target: string, journal: string | undefined): string {
  if (!isS3Uri(target)) return target;
  const dir = resolve(s3RepoDir(target, journal));
  checkStorageMatches(dir, target);
  return dir;
}
