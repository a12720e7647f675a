/**
 * Query: a `.gq` editor with the schema's completion and the checker's positioned
 * diagnostics; a run (`POST /read`) shows its rows as a table and, for columns that
 * return whole nodes (`return { $p }`), as a node-link graph where a click on a node
 * adds its neighbours (`GET /graph/neighbours`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  type Catalog,
  type CheckResult,
  type Diagnostic,
  type ReadResult,
} from '../api';
import { Failure, Show, useLoad } from '../common';
import type { GqEditor } from '../editor';
import { ResultGraph } from './query-graph';
import { ResultTable } from './query-table';

const SOURCE_KEY = 'lancelog.query';

function starter(catalog: Catalog): string {
  const type = catalog.nodes[0]?.name ?? 'Node';
  return `query explore() {\n  match { $n: ${type} }\n  return { $n }\n  limit 25\n}\n`;
}

/** A parameter's text as JSON when it parses (numbers, lists, true), else as a string. */
function paramValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The query to run: the chosen one while the source still declares it, else none (the
 * server runs a source's only query). The check that lists the queries runs a moment
 * after typing stops, so the choice can be stale when Run comes first.
 */
function nameToRun(source: string, chosen: string | undefined): string | null {
  const declared = [...source.matchAll(/\bquery\s+(\w+)/g)].map((m) => m[1]);
  return chosen !== undefined && declared.includes(chosen) ? chosen : null;
}

/** A run's error at its place in the source, when the server named one. */
function diagnosticsOf(err: unknown): Diagnostic[] {
  if (!(err instanceof ApiError)) return [];
  const d = err.details as { line?: unknown; column?: unknown; reason?: unknown };
  if (typeof d.line !== 'number' || typeof d.column !== 'number') return [];
  const message = typeof d.reason === 'string' ? d.reason : err.message;
  return [
    {
      severity: 'error',
      code: err.lancelogCode ?? 'Error',
      message,
      line: d.line,
      column: d.column,
      query: null,
    },
  ];
}

export function QueryView() {
  const catalog = useLoad(() => api.get<{ catalog: Catalog }>('/schema/catalog'), []);
  const branches = useLoad(() => api.get<{ branches: string[] }>('/branches'), []);
  return (
    <Show loaded={catalog} what="the schema">
      {(c) => <Workbench catalog={c.catalog} branches={branches.data?.branches ?? ['main']} />}
    </Show>
  );
}

function useEditor(catalog: Catalog, onCheck: (r: CheckResult) => void, onRun: () => void) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<GqEditor | null>(null);
  const run = useRef(onRun);
  run.current = onRun;
  useEffect(() => {
    let gone = false;
    void import('../editor').then(({ createEditor }) => {
      if (gone || !host.current) return;
      editor.current = createEditor(host.current, {
        doc: sessionStorage.getItem(SOURCE_KEY) ?? starter(catalog),
        catalog,
        check: async (source) => {
          try {
            const r = await api.post<CheckResult>('/queries/check', { query_source: source });
            onCheck(r);
            return r.diagnostics;
          } catch {
            return [];
          }
        },
        onChange: (source) => sessionStorage.setItem(SOURCE_KEY, source),
        onRun: () => run.current(),
      });
    });
    return () => {
      gone = true;
      editor.current?.destroy();
    };
  }, [catalog]);
  return { host, editor };
}

interface Run {
  data: ReadResult | null;
  error: unknown;
  busy: boolean;
}
type Query = CheckResult['queries'][number];

function QuerySelect(props: {
  reads: Query[];
  chosen: Query | undefined;
  onPick: (n: string) => void;
}) {
  return (
    <label>
      query{' '}
      <select
        value={props.chosen?.name ?? ''}
        onChange={(e) => props.onPick(e.currentTarget.value)}
        aria-label="query name"
      >
        {props.reads.map((q) => (
          <option value={q.name}>
            {q.name}
            {q.status === 'error' ? ' (error)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function ParamInputs(props: {
  query: Query | undefined;
  values: Record<string, string>;
  onChange: (v: Record<string, string>) => void;
}) {
  return (
    <>
      {(props.query?.params ?? []).map((p) => (
        <label>
          ${p.name}: {p.type}
          {p.optional ? '?' : ''}{' '}
          <input
            name={p.name}
            value={props.values[p.name] ?? ''}
            onInput={(e) => props.onChange({ ...props.values, [p.name]: e.currentTarget.value })}
          />
        </label>
      ))}
    </>
  );
}

function BranchSelect(props: { branches: string[]; branch: string; onPick: (b: string) => void }) {
  return (
    <label>
      branch{' '}
      <select
        value={props.branch}
        onChange={(e) => props.onPick(e.currentTarget.value)}
        aria-label="branch"
      >
        {props.branches.map((b) => (
          <option value={b}>{b}</option>
        ))}
      </select>
    </label>
  );
}

function Results({ run, branch }: { run: Run; branch: string }) {
  const [tab, setTab] = useState<'table' | 'graph'>('table');
  return (
    <section class="results">
      {run.error ? <Failure error={run.error} what="running the query" /> : null}
      {run.busy ? <p class="muted">Running…</p> : null}
      {run.data ? (
        <>
          <div class="tabs">
            <span class="row-count">
              {run.data.row_count} row(s) of {run.data.query_name} at {run.data.target.branch}
            </span>
            <button class={tab === 'table' ? 'active' : ''} onClick={() => setTab('table')}>
              Table
            </button>
            <button class={tab === 'graph' ? 'active' : ''} onClick={() => setTab('graph')}>
              Graph
            </button>
          </div>
          {tab === 'table' ? (
            <ResultTable result={run.data} />
          ) : (
            <ResultGraph result={run.data} branch={branch} />
          )}
        </>
      ) : null}
    </section>
  );
}

/** A read's parameters: the filled-in fields, as JSON when they parse. */
function paramValues(query: Query | undefined, fields: Record<string, string>) {
  return Object.fromEntries(
    (query?.params ?? [])
      .filter((p) => (fields[p.name] ?? '') !== '')
      .map((p) => [p.name, paramValue(fields[p.name])]),
  );
}

function Workbench({ catalog, branches }: { catalog: Catalog; branches: string[] }) {
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [name, setName] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [branch, setBranch] = useState('main');
  const [result, setResult] = useState<Run>({ data: null, error: null, busy: false });
  const reads = (check?.queries ?? []).filter((q) => q.kind === 'read');
  const chosen = reads.find((q) => q.name === name) ?? reads[0];
  const run = async () => {
    const source = editor.current?.text() ?? '';
    setResult({ data: null, error: null, busy: true });
    try {
      const data = await api.post<ReadResult>('/read', {
        query_source: source,
        query_name: nameToRun(source, chosen?.name),
        params: paramValues(chosen, params),
        branch,
      });
      setResult({ data, error: null, busy: false });
    } catch (error) {
      editor.current?.show(diagnosticsOf(error));
      setResult({ data: null, error, busy: false });
    }
  };
  const { host, editor } = useEditor(catalog, setCheck, () => void run());
  return (
    <div class="query">
      <section class="editor-pane">
        <div class="editor" ref={host} />
        <div class="toolbar">
          <QuerySelect reads={reads} chosen={chosen} onPick={setName} />
          <ParamInputs query={chosen} values={params} onChange={setParams} />
          <BranchSelect branches={branches} branch={branch} onPick={setBranch} />
          <button class="primary" onClick={() => void run()} disabled={result.busy}>
            Run <span class="muted">(Ctrl-Enter)</span>
          </button>
        </div>
      </section>
      <Results run={result} branch={branch} />
    </div>
  );
}
