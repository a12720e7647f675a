/**
 * The `.gq` editor (CodeMirror 6): completion from the repo's schema (node types after
 * `:`, edge names after a variable, a variable's properties after `$v.`, keywords and
 * functions elsewhere) and the checker's diagnostics at their line and column
 * (`POST /queries/check`, as the user types; a run's error too). Loaded with the Query
 * view, in a chunk of its own.
 */
import {
  autocompletion,
  closeBrackets,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Text } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  keymap,
  lineNumbers,
  MatchDecorator,
  ViewPlugin,
  type DecorationSet,
  type ViewUpdate,
} from '@codemirror/view';
import type { Catalog, Diagnostic as ServerDiagnostic } from './api';

const KEYWORDS = [
  'query',
  'match',
  'return',
  'order',
  'limit',
  'as',
  'asc',
  'desc',
  'not',
  'and',
  'insert',
  'update',
  'delete',
  'set',
  'where',
  'contains',
  'starts_with',
  'true',
  'false',
  'null',
];
const FUNCTIONS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'search',
  'fuzzy',
  'match_text',
  'nearest',
  'bm25',
  'rrf',
  'date',
  'datetime',
  'now',
];

/** `$v: Type` bindings in the text (nodes, and edges bound as `$a $w: Edge $b`): variable → type. */
function bindings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\$(\w+)\s*:\s*([A-Z]\w*)/g)) out.set(m[1], m[2]);
  return out;
}

function completeFrom(catalog: Catalog) {
  const types = catalog.nodes.map((n) => ({ label: n.name, type: 'class', detail: 'node' }));
  const edges = catalog.edges.map((e) => ({
    label: e.name,
    type: 'function',
    detail: `${e.from} → ${e.to}`,
  }));
  const words = [
    ...KEYWORDS.map((k) => ({ label: k, type: 'keyword' })),
    ...FUNCTIONS.map((f) => ({ label: f, type: 'function', apply: `${f}(` })),
  ];
  return (ctx: CompletionContext): CompletionResult | null => {
    const before = ctx.state.doc.sliceString(Math.max(0, ctx.pos - 200), ctx.pos);
    const prop = /\$(\w+)\.(\w*)$/.exec(before);
    if (prop) {
      const typeName = bindings(ctx.state.doc.toString()).get(prop[1]);
      const def = [...catalog.nodes, ...catalog.edges].find((n) => n.name === typeName);
      if (!def) return null;
      return {
        from: ctx.pos - prop[2].length,
        options: def.properties.map((p) => ({ label: p.name, type: 'property' })),
      };
    }
    const word = ctx.matchBefore(/\w*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const lead = before.slice(0, before.length - (word.to - word.from));
    // An edge after a variable (`$a knows`), in an edge binding (`$a $w: Knows`) or
    // undirected (`$a <knows>`); a node type after any other `$v:`.
    if (/\$\w+\s+(\$\w+\s*:\s*|<\s*)?$/.test(lead)) return { from: word.from, options: edges };
    if (/:\s*$/.test(lead)) return { from: word.from, options: types };
    return { from: word.from, options: [...words, ...types] };
  };
}

/** 1-based line and column → a document offset, clamped to the document. */
export function offsetOf(doc: Text, line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(column - 1, 0), l.to);
}

function toDiagnostic(doc: Text, d: ServerDiagnostic): Diagnostic {
  const from = offsetOf(doc, d.line, d.column);
  const word = /^[\w$]+/.exec(doc.sliceString(from, Math.min(from + 64, doc.length)));
  return {
    from,
    to: from + (word ? word[0].length : 0),
    severity: d.severity,
    message: `${d.code}: ${d.message}`,
  };
}

/** Keywords and variables in colour (no grammar: a word list is enough for .gq). */
const highlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    private readonly matcher = new MatchDecorator({
      regexp: new RegExp(`\\$\\w+|"(?:[^"\\\\]|\\\\.)*"|//.*|\\b(?:${KEYWORDS.join('|')})\\b`, 'g'),
      decoration: (m) =>
        Decoration.mark({
          class: m[0].startsWith('$')
            ? 'gq-var'
            : m[0].startsWith('"')
              ? 'gq-string'
              : m[0].startsWith('//')
                ? 'gq-comment'
                : 'gq-keyword',
        }),
    });
    constructor(view: EditorView) {
      this.decorations = this.matcher.createDeco(view);
    }
    update(u: ViewUpdate) {
      this.decorations = this.matcher.updateDeco(u, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

export interface GqEditor {
  text(): string;
  /** Shows diagnostics (a run's error) until the next check. */
  show(diagnostics: ServerDiagnostic[]): void;
  destroy(): void;
}

export function createEditor(
  parent: HTMLElement,
  opts: {
    doc: string;
    catalog: Catalog;
    check: (source: string) => Promise<ServerDiagnostic[]>;
    onChange: (source: string) => void;
    onRun: () => void;
  },
): GqEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc,
      extensions: [
        lineNumbers(),
        history(),
        closeBrackets(),
        highlight,
        lintGutter(),
        autocompletion({ override: [completeFrom(opts.catalog)] }),
        linter(
          async (v) =>
            (await opts.check(v.state.doc.toString())).map((d) => toDiagnostic(v.state.doc, d)),
          { delay: 400 },
        ),
        keymap.of([
          { key: 'Mod-Enter', run: () => (opts.onRun(), true) },
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': '.gq query editor' }),
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    show: (ds) =>
      view.dispatch(
        setDiagnostics(
          view.state,
          ds.map((d) => toDiagnostic(view.state.doc, d)),
        ),
      ),
    destroy: () => view.destroy(),
  };
}
