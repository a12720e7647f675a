/**
 * Units stay readable (AGENTS.md §Conventions): no function in src/ or cli/ over 70
 * lines, none excepted; no file over 600 lines unless it is listed below with its reason
 * — one cohesive concern that reads best whole (a class, a state machine, a story told
 * in order). Splitting a class or a state machine across files to meet the number is
 * not allowed; listing is the way.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 70;

/** Files allowed over MAX_FILE_LINES: path → the one concern that makes them whole. */
const LONG_FILES: Record<string, string> = {
  'src/repo.ts':
    'the Repo class, the public API: one class; what is not a method of it lives in src/repo/',
  'src/write/protocol/run.ts':
    'the write protocol: one operation, phase by phase, in the order they run (lease, intent, Phase B, sync, publish, cleanup, rollback), read top to bottom with the assertions of each phase',
};

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

const lineCount = (text: string): number => text.split('\n').length - 1;

/** Files over the limit that are not listed, as `path: lines`. */
function unlistedLongFiles(
  files: Array<[string, string]>,
  listed: Record<string, string>,
): string[] {
  return files
    .filter(([path, text]) => lineCount(text) > MAX_FILE_LINES && !listed[path]?.trim())
    .map(([path, text]) => `${path}: ${lineCount(text)} lines`);
}

const rel = (p: string) => relative(ROOT, p).split('\\').join('/');
const files: Array<[string, string]> = ['src', 'cli']
  .flatMap((d) => sourceFiles(join(ROOT, d)))
  .map((p) => [rel(p), readFileSync(p, 'utf8')]);

describe('unit sizes', () => {
  it(`no file over ${MAX_FILE_LINES} lines unless listed with its reason`, () => {
    expect(unlistedLongFiles(files, LONG_FILES)).toEqual([]);
  });

  it('every listed file exists and is over the limit (the list holds no stale entry)', () => {
    const stale = Object.keys(LONG_FILES).filter(
      (path) =>
        !existsSync(join(ROOT, path)) ||
        lineCount(readFileSync(join(ROOT, path), 'utf8')) <= MAX_FILE_LINES,
    );
    expect(stale).toEqual([]);
  });

  it(`no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const over = files
      .flatMap(([path, text]) => longFunctions(path, text))
      .map(([key, lines]) => `${key}: ${lines} lines`);
    expect(over).toEqual([]);
  });

  it('the checks catch a planted long file and a planted long function; a listed file passes', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const x${i} = ${i};`);
    const longFn = `export function planted(): void {\n${body.join('\n')}\n}\n`;
    expect(longFunctions('src/planted.ts', longFn)).toEqual([
      ['src/planted.ts#planted', MAX_FUNCTION_LINES + 2],
    ]);
    const longFile = 'export const line = 1;\n'.repeat(MAX_FILE_LINES + 1);
    const planted: Array<[string, string]> = [
      ['src/big.ts', longFile],
      ['src/listed.ts', longFile],
      ['src/blank-reason.ts', longFile],
      ['src/small.ts', 'export const s = 1;\n'],
    ];
    expect(
      unlistedLongFiles(planted, { 'src/listed.ts': 'one concern', 'src/blank-reason.ts': ' ' }),
    ).toEqual(['src/big.ts: 601 lines', 'src/blank-reason.ts: 601 lines']);
  });
});
