/**
 * A YAML file checked against a zod schema, every defect a `ConfigInvalid` that names
 * the file, the line and the key (the line read from the YAML document's own positions).
 */
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { LancelogError } from '../../src/index.js';

export function configInvalid(
  file: string,
  line: number | null,
  key: string,
  message: string,
  issues?: unknown,
): LancelogError {
  const where = line === null ? file : `${file}:${line}`;
  return new LancelogError('ConfigInvalid', `${where}: ${key ? `${key}: ` : ''}${message}`, {
    file,
    line,
    key,
    ...(issues !== undefined ? { issues } : {}),
  });
}

/** The line of the deepest node of `path` the document has (the key's, for a bad key). */
function lineOf(doc: Document, counter: LineCounter, path: PropertyKey[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return null;
}

/** For an unknown key, the key of a map the document spells at `path`. */
function keyLine(doc: Document, counter: LineCounter, path: PropertyKey[], key: string) {
  const map: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  const pairs = (map as { items?: Array<{ key: unknown }> } | null)?.items ?? [];
  for (const pair of pairs) {
    const k = pair.key;
    if (isNode(k) && k.range && String((k as { value?: unknown }).value) === key)
      return counter.linePos(k.range[0]).line;
  }
  return lineOf(doc, counter, path);
}

export function parseYamlChecked<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  hint: (key: string) => string = () => '',
): z.output<S> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError)
    throw configInvalid(file, counter.linePos(yamlError.pos[0]).line, '', yamlError.message);
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = unknownKey === undefined ? issue.path : [...issue.path, unknownKey];
  const line =
    unknownKey === undefined
      ? lineOf(doc, counter, path)
      : keyLine(doc, counter, issue.path, unknownKey);
  const message =
    unknownKey === undefined ? issue.message : `unknown key '${unknownKey}'${hint(unknownKey)}`;
  throw configInvalid(file, line, path.map(String).join('.'), message, parsed.error.issues);
}
