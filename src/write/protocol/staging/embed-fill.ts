/**
 * `@embed("source")` vectors filled at write time (docs/writes.md §Embeddings). A
 * staged row whose embedding is missing (absent, null or `[]`) and whose source is a
 * non-blank string gets the provider's L2-normalised vector of the source text. An
 * embedding given explicitly is kept as given. This runs while the operation stages
 * — before the protocol takes any lease — so no lease is ever held across a network
 * call; a provider failure fails the staging (op.failed, nothing published).
 */
import type { TypeDef } from '../../../schema/types.js';
import {
  createEmbeddingClient,
  EmbeddingFailed,
  EmbeddingNotConfigured,
  type EmbeddingClient,
} from '../../../embed/index.js';
import { LancelogError } from '../../../errors.js';

export interface EmbedTarget {
  /** The Vector property filled. */
  property: string;
  /** The String property whose text is embedded. */
  source: string;
  dimension: number;
}

/** One row (a data object about to be staged) and the vector it lacks. */
export interface EmbedJob {
  def: TypeDef;
  data: Record<string, unknown>;
  target: EmbedTarget;
  text: string;
}

const targetsByDef = new WeakMap<TypeDef, EmbedTarget[]>();

/** A type's `@embed` vectors (none for edges). */
export function embedTargetsOf(def: TypeDef): EmbedTarget[] {
  let targets = targetsByDef.get(def);
  if (targets) return targets;
  targets = [];
  if (def.kind === 'node') {
    for (const e of def.embed) {
      const p = def.properties.find((q) => q.name === e.property);
      if (p?.type.kind === 'vector')
        targets.push({ property: e.property, source: e.source, dimension: p.type.dim });
    }
  }
  targetsByDef.set(def, targets);
  return targets;
}

/** What counts as "no embedding given": the reference engine's `embed` fills the same. */
export function isMissingVector(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

/** The text to embed, or undefined when there is none (not a string, or blank). */
export function sourceText(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The vectors `data` (a row of `def`) lacks and can have. */
export function embedJobs(def: TypeDef, data: Record<string, unknown>): EmbedJob[] {
  const jobs: EmbedJob[] = [];
  for (const target of embedTargetsOf(def)) {
    if (!isMissingVector(data[target.property])) continue;
    const text = sourceText(data[target.source]);
    if (text !== undefined) jobs.push({ def, data, target, text });
  }
  return jobs;
}

/** A lazily created client: the environment is read on the first embedding a write needs. */
export function lazyEmbeddingClient(
  make: () => EmbeddingClient = () => createEmbeddingClient(),
): () => EmbeddingClient {
  let client: EmbeddingClient | undefined;
  return () => (client ??= make());
}

/**
 * Embeds every job's text (one provider call per dimension; the client batches) and
 * stores the vectors into the jobs' data objects. `where` is added to an error's
 * details (e.g. the file and lines of a load).
 */
export async function runEmbedJobs(
  client: () => EmbeddingClient,
  jobs: EmbedJob[],
  where: Record<string, unknown> = {},
): Promise<void> {
  if (jobs.length === 0) return;
  const byDimension = new Map<number, EmbedJob[]>();
  for (const j of jobs) {
    const group = byDimension.get(j.target.dimension);
    if (group) group.push(j);
    else byDimension.set(j.target.dimension, [j]);
  }
  for (const [dimension, group] of byDimension) {
    let vectors: Float32Array[];
    try {
      vectors = await client().embed(
        group.map((j) => j.text),
        dimension,
      );
    } catch (err) {
      throw withContext(err, group, where);
    }
    group.forEach((j, i) => {
      j.data[j.target.property] = Array.from(vectors[i]);
    });
  }
}

/** The provider's error, naming the tables and properties being embedded. */
function withContext(err: unknown, group: EmbedJob[], where: Record<string, unknown>): unknown {
  if (!(err instanceof LancelogError)) return err;
  const first = group[0];
  const what = `${first.def.name}.${first.target.property} from ${first.target.source}`;
  const details = {
    ...err.details,
    table: first.def.tableKey,
    property: first.target.property,
    source: first.target.source,
    rows: group.length,
    ...where,
  };
  const at =
    where.file !== undefined
      ? ` (${String(where.file)}${where.line !== undefined ? `:${String(where.line)}` : ''})`
      : '';
  if (err instanceof EmbeddingNotConfigured)
    return new EmbeddingNotConfigured(`cannot embed ${what}${at}: ${err.message}`, details);
  if (err instanceof EmbeddingFailed)
    return new EmbeddingFailed(`cannot embed ${what}${at}: ${err.message}`, details);
  return err;
}

/**
 * Keeps a load streaming while it embeds in batches. A line that needs a vector is
 * held back, and so is every line after it (staging order is the file's order: a
 * later line may replace an earlier row), until `maxJobs` vectors are wanted or
 * `maxHeld` lines wait; then one batch of provider calls fills them all and the
 * held lines are staged in order. A file without embeddings to fill never waits.
 */
export class EmbedWindow {
  private held: Array<() => Promise<void> | void> = [];
  private jobs: EmbedJob[] = [];
  private firstLine: number | undefined;
  private lastLine: number | undefined;

  constructor(
    private readonly client: () => EmbeddingClient,
    private readonly file: string,
    private readonly maxJobs = 256,
    private readonly maxHeld = 4096,
  ) {}

  /** Stages a line now, or holds it until its (or an earlier line's) vectors are in. */
  async add(jobs: EmbedJob[], line: number, stage: () => Promise<void> | void): Promise<void> {
    if (jobs.length === 0 && this.held.length === 0) return stage();
    this.held.push(stage);
    if (jobs.length > 0) {
      this.jobs.push(...jobs);
      this.firstLine ??= line;
      this.lastLine = line;
    }
    if (this.jobs.length >= this.maxJobs || this.held.length >= this.maxHeld) await this.flush();
  }

  /** Embeds what is wanted and stages every held line, in order. */
  async flush(): Promise<void> {
    const { held, jobs, firstLine, lastLine } = this;
    this.held = [];
    this.jobs = [];
    this.firstLine = this.lastLine = undefined;
    await runEmbedJobs(this.client, jobs, {
      file: this.file,
      ...(firstLine !== undefined ? { line: firstLine, last_line: lastLine } : {}),
    });
    for (const stage of held) await stage();
  }
}
