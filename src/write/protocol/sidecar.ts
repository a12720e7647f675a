/**
 * Sidecars (docs/architecture.md §Life of a write, Phase A): `<repo>/__recovery/<op_id>.json`, the intent
 * of an in-flight operation, written atomically (temp file, fsync, rename, fsync of
 * the directory) before any Lance commit. Read back through a zod schema; a sidecar
 * of an unknown schema_version is refused, never guessed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LancelogError } from '../../errors.js';
import { fsyncDir, writeFileAtomic } from '../../fs-atomic.js';
import type { IntentTable } from '../../journal/index.js';

export const SIDECAR_DIR = '__recovery';
export const SIDECAR_SCHEMA_VERSION = 1;

const SidecarTable = z
  .object({
    table_key: z.string().regex(/^(node|edge):[A-Za-z_][A-Za-z0-9_]*$/),
    table_path: z.string().regex(/^(nodes|edges)\/[0-9a-f]{16}$/),
    lance_branch: z.string().nullable(),
    expected_version: z.number().int().nonnegative(),
    post_commit_version: z.number().int().positive().nullable(),
  })
  .strict();

export const SidecarSchema = z
  .object({
    schema_version: z.literal(SIDECAR_SCHEMA_VERSION),
    op_id: z.string().min(1),
    kind: z.string().min(1),
    branch: z.string().min(1),
    actor: z.string(),
    created_us: z.number().int(),
    owner: z.object({ pid: z.number().int(), host: z.string() }).strict(),
    tables: z.array(SidecarTable).min(1),
  })
  .strict();

export type Sidecar = z.infer<typeof SidecarSchema>;

export class SidecarSchemaError extends LancelogError {
  constructor(file: string, reason: string, extra: Record<string, unknown> = {}) {
    super('SidecarSchemaError', `sidecar ${file} is unreadable: ${reason}`, {
      file,
      reason,
      ...extra,
    });
  }
}

export function sidecarPath(repoDir: string, opId: string): string {
  return join(repoDir, SIDECAR_DIR, `${opId}.json`);
}

/**
 * Writes the sidecar of an operation (its intent per table) atomically: temp file,
 * fsync, rename, directory fsync. Returns its path.
 */
export function writeSidecar(
  repoDir: string,
  op: { opId: string; kind: string; branch: string; actor: string },
  tables: Array<IntentTable & { tablePath: string }>,
): string {
  return writeSidecarFile(repoDir, {
    schema_version: SIDECAR_SCHEMA_VERSION,
    op_id: op.opId,
    kind: op.kind,
    branch: op.branch,
    actor: op.actor,
    created_us: Date.now() * 1000,
    owner: { pid: process.pid, host: hostname() },
    tables: tables.map((t) => ({
      table_key: t.tableKey,
      table_path: t.tablePath,
      lance_branch: t.lanceBranch,
      expected_version: t.expectedVersion,
      post_commit_version: t.postCommitVersion,
    })),
  });
}

/** Writes a sidecar as it is given (tests write damaged or foreign ones with it). */
export function writeSidecarFile(repoDir: string, sidecar: Sidecar): string {
  const dir = join(repoDir, SIDECAR_DIR);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    fsyncDir(repoDir);
  }
  const path = sidecarPath(repoDir, sidecar.op_id);
  writeFileAtomic(path, `${JSON.stringify(SidecarSchema.parse(sidecar), null, 2)}\n`);
  return path;
}

/** Parses a sidecar file; every defect is a SidecarSchemaError naming the file. */
export function readSidecar(path: string): Sidecar {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SidecarSchemaError(
      path,
      `not valid JSON (${(err as Error).message}); the file is truncated or corrupt`,
    );
  }
  const version = (raw as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version === 'number' && version !== SIDECAR_SCHEMA_VERSION) {
    throw new SidecarSchemaError(
      path,
      `schema_version ${version} is not supported by this lancelog (it reads ${SIDECAR_SCHEMA_VERSION}); upgrade lancelog first`,
      { schemaVersion: version },
    );
  }
  const parsed = SidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SidecarSchemaError(path, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Op ids of every sidecar present (files named `<op_id>.json`; temp files ignored). */
export function listSidecars(repoDir: string): string[] {
  const dir = join(repoDir, SIDECAR_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * Removes an operation's sidecar. `durable: false` skips the directory fsync: for an
 * operation the journal already shows as finished, a sidecar that reappears after a
 * power loss is stale and recovery removes it, so the deletion need not be durable.
 */
export function deleteSidecar(
  repoDir: string,
  opId: string,
  opts: { durable?: boolean } = {},
): void {
  const path = sidecarPath(repoDir, opId);
  if (!existsSync(path)) return;
  rmSync(path);
  if (opts.durable ?? true) fsyncDir(join(repoDir, SIDECAR_DIR));
}
