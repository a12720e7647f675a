/**
 * Units stay small (AGENTS.md §Conventions): no source file in src/ or cli/ over 600
 * lines and no function over 70 lines. The allow-lists below are empty: every unit
 * that was over has been split. An entry, if one is ever needed, caps a unit at its
 * size when listed so it can only shrink; say why next to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 70;

/** Oversized files: path → the most lines allowed. */
const FILE_ALLOW: Record<string, number> = {};

/** Oversized functions: `path#name` → the most lines allowed. */
const FUNCTION_ALLOW: Record<string, number> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

function functionName(node: ts.SignatureDeclaration): string | undefined {
  if (node.name && !ts.isComputedPropertyName(node.name)) return node.name.getText();
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))
    return parent.name.getText();
  return undefined;
}

/** Every function of a file longer than the limit, as `path#name` → lines. */
function longFunctions(path: string, text: string): Array<[string, number]> {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: Array<[string, number]> = [];
  const visit = (node: ts.Node, enclosing: string): void => {
    let name = enclosing;
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      name = functionName(node) ?? `${enclosing}/<anonymous>`;
      const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = sf.getLineAndCharacterOfPosition(node.end).line;
      if (last - first + 1 > MAX_FUNCTION_LINES) out.push([`${path}#${name}`, last - first + 1]);
    }
    ts.forEachChild(node, (child) => visit(child, name));
  };
  visit(sf, '');
  return out;
}

const files = ['src', 'cli'].flatMap((d) => sourceFiles(join(ROOT, d)));
const rel = (p: string) => relative(ROOT, p).split('\\').join('/');

describe('unit sizes', () => {
  it(`no file over ${MAX_FILE_LINES} lines outside the allow-list, none grown past its cap`, () => {
    const over = files
      .map((p) => [rel(p), readFileSync(p, 'utf8').split('\n').length - 1] as const)
      .filter(([path, lines]) => lines > (FILE_ALLOW[path] ?? MAX_FILE_LINES))
      .map(([path, lines]) => `${path}: ${lines} lines`);
    expect(over).toEqual([]);
  });

  it(`no function over ${MAX_FUNCTION_LINES} lines outside the allow-list, none grown past its cap`, () => {
    const over = files
      .flatMap((p) => longFunctions(rel(p), readFileSync(p, 'utf8')))
      .filter(([key, lines]) => lines > (FUNCTION_ALLOW[key] ?? MAX_FUNCTION_LINES))
      .map(([key, lines]) => `${key}: ${lines} lines`);
    expect(over).toEqual([]);
  });
});
