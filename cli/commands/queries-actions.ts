/**
 * `lancelog queries list | validate`: the stored queries of a directory (what `serve
 * --queries DIR` loads), listed from their source, or checked offline against a repo's
 * schema exactly as the server checks them at startup. Loaded when the command runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compileSchema,
  parseQueries,
  SCHEMA_FILE,
  UsageError,
  valueTypeText,
  type ParamType,
} from '../../src/index.js';
import { readQueryDir, storedQueriesFor } from '../../src/server/index.js';
import { printResult } from '../output.js';

function describeParams(params: Array<{ name: string; type: string; nullable: boolean }>): string {
  return params.map((p) => `$${p.name}: ${p.type}${p.nullable ? '?' : ''}`).join(', ');
}

/** Each query of the directory as its source declares it (no schema needed). */
export function queriesList(dir: string, opts: { json?: boolean }): void {
  const queries = readQueryDir(dir).flatMap((f) =>
    parseQueries(f.source, f.file).queries.map((q) => ({
      name: q.name,
      file: f.file,
      line: q.pos.line,
      graph_id: f.graphId,
      kind: q.body.kind,
      params: q.params.map((p) => ({
        name: p.name,
        type: valueTypeText(p.type as ParamType),
        nullable: p.optional,
      })),
      description: annotation(q.annotations, 'description'),
      instruction: annotation(q.annotations, 'instruction'),
      expose: q.annotations.some((a) => a.name === 'expose'),
    })),
  );
  printResult(opts, { dir, queries }, () =>
    queries
      .map(
        (q) =>
          `${q.name}(${describeParams(q.params)}) ${q.kind}${q.expose ? ' exposed' : ''}  ${q.file}:${q.line}${q.graph_id ? ` [graph ${q.graph_id}]` : ''}${q.description ? `\n    ${q.description}` : ''}`,
      )
      .join('\n'),
  );
}

function annotation(
  list: Array<{ name: string; args: Array<string | number | boolean> }>,
  name: string,
): string | null {
  const a = list.find((x) => x.name === name);
  return a && typeof a.args[0] === 'string' ? a.args[0] : null;
}

/** Checks every query against the schema; the first that fails is a `StoredQueryInvalid` error. */
export function queriesValidate(
  dir: string,
  opts: { uri?: string; schema?: string; graph?: string; json?: boolean },
): void {
  if ((opts.uri === undefined) === (opts.schema === undefined))
    throw new UsageError('give the schema to check against: --uri <repo> or --schema <file.pg>', {
      flag: 'uri',
    });
  const file = opts.schema ?? join(opts.uri!, SCHEMA_FILE);
  const catalog = compileSchema(readFileSync(file, 'utf8'), file);
  const set = storedQueriesFor(readQueryDir(dir), catalog, opts.graph ?? null);
  const queries = set.list().map((q) => ({ name: q.name, kind: q.kind, file: q.file }));
  printResult(
    opts,
    { dir, schema: file, ok: true, queries },
    () =>
      `${dir}: ok (${queries.length} stored quer${queries.length === 1 ? 'y' : 'ies'} check against ${file})`,
  );
}
