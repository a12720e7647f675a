/**
 * The output formats of `lancelog read`: json (the reference server's ReadOutput
 * field names), jsonl, csv (RFC 4180), table (fitted to a width) and kv. All of them
 * print 64-bit integers exactly (lossless JSON: bigints are written as JSON numbers).
 */
import { stringify as csvStringify } from 'csv-stringify/sync';
import { stringify as losslessStringify } from 'lossless-json';
import type { ReadFormat } from './read-formats.js';
import type { OutObject, OutValue } from './read-values.js';

export { READ_FORMATS, type ReadFormat } from './read-formats.js';

/** What every format prints: the ReadOutput document plus the column types. */
export interface ReadDocument {
  query_name: string;
  target: {
    branch: string;
    /** The commit the read saw (what `--commit` takes). */
    snapshot: string | null;
    manifest_version: number;
    commit_id: string | null;
  };
  row_count: number;
  columns: string[];
  column_types: string[];
  rows: OutObject[];
}

/** JSON text with bigints as exact JSON numbers. */
export function losslessJson(value: unknown, indent?: number): string {
  return losslessStringify(value, undefined, indent) ?? 'null';
}

/** A value as one cell of text: strings verbatim, null empty, composites as compact JSON. */
export function cellText(v: OutValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return losslessJson(v);
  return String(v);
}

export function renderJson(doc: ReadDocument): string {
  return `${losslessJson(doc, 2)}\n`;
}

export function renderJsonl(doc: ReadDocument): string {
  const { rows, ...meta } = doc;
  return [losslessJson(meta), ...rows.map((r) => losslessJson(r))].map((l) => `${l}\n`).join('');
}

/**
 * RFC 4180: CRLF line ends, a header record, fields with a comma, quote or line break
 * quoted (quotes doubled). A null is an empty field; an empty string is `""`.
 */
export function renderCsv(doc: ReadDocument): string {
  const records = [
    doc.columns,
    ...doc.rows.map((r) => doc.columns.map((c) => (r[c] === null ? null : cellText(r[c])))),
  ];
  return csvStringify(records, { record_delimiter: 'windows', quoted_match: /^$|[\r\n]/ });
}

/** Code points, so that a cut never splits a surrogate pair. */
function chars(s: string): string[] {
  return [...s];
}

function fit(s: string, width: number): string {
  const cs = chars(s);
  if (cs.length <= width) return s + ' '.repeat(width - cs.length);
  return width <= 1 ? cs.slice(0, width).join('') : `${cs.slice(0, width - 1).join('')}…`;
}

/**
 * Column widths that fit `maxWidth` (two spaces between columns): the widest column
 * is narrowed first, down to min(its width, 4); past that the table overflows.
 */
export function fitWidths(natural: number[], maxWidth: number | null): number[] {
  const widths = [...natural];
  if (maxWidth === null) return widths;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > maxWidth) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++) if (widths[i] > widths[widest]) widest = i;
    if (widths[widest] <= Math.min(natural[widest], 4)) break;
    widths[widest] -= 1;
  }
  return widths;
}

/** A human table: one line per row, cells cut with `…` to fit `maxWidth` (null = no limit). */
export function renderTable(doc: ReadDocument, maxWidth: number | null): string {
  const oneLine = (s: string): string => s.replace(/\r?\n/g, '⏎').replace(/\t/g, ' ');
  const cells = doc.rows.map((r) =>
    doc.columns.map((c) => (r[c] === null ? 'null' : oneLine(cellText(r[c])))),
  );
  const natural = doc.columns.map((h, i) =>
    Math.max(chars(h).length, ...cells.map((row) => chars(row[i]).length)),
  );
  const widths = fitWidths(natural, maxWidth);
  const line = (row: string[]): string =>
    row
      .map((c, i) => fit(c, widths[i]))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const count = `(${doc.row_count} row${doc.row_count === 1 ? '' : 's'})`;
  return [line(doc.columns), rule, ...cells.map(line), count].join('\n') + '\n';
}

/** One block per row: `column  value` lines, blocks separated by a blank line. */
export function renderKv(doc: ReadDocument): string {
  const width = Math.max(0, ...doc.columns.map((c) => chars(c).length));
  const blocks = doc.rows.map((r, i) =>
    [
      `-- row ${i + 1} --`,
      ...doc.columns.map((c) => {
        const v = r[c];
        const text =
          v === null ? 'null' : cellText(v).replace(/\r?\n/g, `\n${' '.repeat(width + 2)}`);
        return `${c.padEnd(width)}  ${text}`;
      }),
    ].join('\n'),
  );
  const count = `(${doc.row_count} row${doc.row_count === 1 ? '' : 's'})`;
  return `${[...blocks, count].join('\n\n')}\n`;
}

export function renderRead(doc: ReadDocument, format: ReadFormat, maxWidth: number | null): string {
  switch (format) {
    case 'json':
      return renderJson(doc);
    case 'jsonl':
      return renderJsonl(doc);
    case 'csv':
      return renderCsv(doc);
    case 'table':
      return renderTable(doc, maxWidth);
    case 'kv':
      return renderKv(doc);
  }
}
