/**
 * `lintQueries`: per query {name, kind, status, errors, warnings, operation}. Errors are the
 * compile errors (one per query: the first found); warnings are listed in
 * docs/query-language.md "Lint".
 */
import { findEdgeType, findNodeType } from '../schema/lookup.js';
import type { Catalog } from '../schema/types.js';
import type { MutationBodyNode } from './ast.js';
import { type CheckedQuery, checkQueries } from './compile.js';
import { describeOperation, type QueryOperation } from './describe.js';
import type { MutationOp, MutationPlan } from './types.js';

export interface LintIssue {
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  details?: Record<string, unknown>;
}

export interface QueryLintResult {
  name: string;
  kind: 'read' | 'mutation';
  status: 'ok' | 'error';
  errors: LintIssue[];
  warnings: LintIssue[];
  /** What the query does (only when it compiled): describe.ts. */
  operation?: QueryOperation;
}

/** Lints every query of a file. A syntax error (ParseError) is thrown: no query can be told apart then. */
export function lintQueries(source: string, file: string, catalog: Catalog): QueryLintResult[] {
  const checked = checkQueries(source, file, catalog);
  const updated = updatedProperties(checked);
  return checked.map((c) => {
    const errors = compileErrors(c, file);
    const warnings = [
      ...parameterWarnings(c, file),
      ...nullableNeverSetWarnings(c, file, catalog, updated),
    ];
    const status = errors.length ? ('error' as const) : ('ok' as const);
    const result: QueryLintResult = { name: c.name, kind: c.kind, status, errors, warnings };
    if (c.plan) result.operation = describeOperation(c.plan, catalog);
    return result;
  });
}

/** Every (type, property) set by some compiled `update … set` in the file, as `type\0property`. */
function updatedProperties(checked: CheckedQuery[]): Set<string> {
  const updated = new Set<string>();
  for (const c of checked) {
    if (c.plan?.kind !== 'mutation') continue;
    for (const op of c.plan.ops)
      if (op.op === 'update')
        for (const a of op.set) updated.add(`${op.typeName}\u0000${a.property}`);
  }
  return updated;
}

/** The query's compile error, if any, as a lint issue. */
function compileErrors(c: CheckedQuery, file: string): LintIssue[] {
  if (!c.error) return [];
  const d = c.error.details as { line: number; column: number; reason: string };
  return [
    {
      code: c.error.code,
      message: d.reason,
      file,
      line: d.line,
      column: d.column,
      details: c.error.details,
    },
  ];
}

/** MutationWithoutParameters and UnusedParameter. */
function parameterWarnings(c: CheckedQuery, file: string): LintIssue[] {
  const warnings: LintIssue[] = [];
  if (c.kind === 'mutation' && c.decl.params.length === 0) {
    warnings.push({
      code: 'MutationWithoutParameters',
      message: `mutation '${c.name}' declares no parameters: every run writes the same literal values`,
      file,
      line: c.decl.namePos.line,
      column: c.decl.namePos.column,
    });
  }
  for (const p of c.unusedParams) {
    warnings.push({
      code: 'UnusedParameter',
      message: `parameter '$${p.name}' is never used`,
      file,
      line: p.pos.line,
      column: p.pos.column,
      details: { param: p.name },
    });
  }
  return warnings;
}

/** NullableNeverSet: an insert leaves a nullable property null and no update in the file sets it. */
function nullableNeverSetWarnings(
  c: CheckedQuery,
  file: string,
  catalog: Catalog,
  updated: Set<string>,
): LintIssue[] {
  if (c.plan?.kind !== 'mutation') return [];
  const plan: MutationPlan = c.plan;
  const stmts = (c.decl.body as MutationBodyNode).statements;
  const warnings: LintIssue[] = [];
  plan.ops.forEach((op, i) => {
    if (op.op !== 'insert_node' && op.op !== 'insert_edge') return;
    const never = neverSetProperties(op, catalog, updated);
    if (never.length === 0) return;
    const typeName = op.op === 'insert_node' ? op.nodeType : op.edgeType;
    const pos = stmts[i].typePos;
    warnings.push({
      code: 'NullableNeverSet',
      message: `insert ${typeName} leaves the nullable propert${never.length === 1 ? 'y' : 'ies'} ${never.join(', ')} null and no update in this file sets ${never.length === 1 ? 'it' : 'them'}`,
      file,
      line: pos.line,
      column: pos.column,
      details: { type: typeName, properties: never },
    });
  });
  return warnings;
}

/** The nullable properties an insert leaves null that no update of the file sets. */
function neverSetProperties(
  op: Extract<MutationOp, { op: 'insert_node' | 'insert_edge' }>,
  catalog: Catalog,
  updated: Set<string>,
): string[] {
  const typeName = op.op === 'insert_node' ? op.nodeType : op.edgeType;
  const def =
    op.op === 'insert_node' ? findNodeType(catalog, typeName) : findEdgeType(catalog, typeName);
  return (def?.properties ?? [])
    .filter(
      (p) =>
        p.nullable &&
        !op.values.some((v) => v.property === p.name) &&
        // An @embed vector is filled from its source text when the insert sets it.
        !(
          def?.kind === 'node' &&
          def.embed.some(
            (e) => e.property === p.name && op.values.some((v) => v.property === e.source),
          )
        ) &&
        !updated.has(`${typeName}\u0000${p.name}`),
    )
    .map((p) => p.name);
}
