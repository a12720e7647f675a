/**
 * Measures the walk of one write through the engine's files (docs/architecture.md
 * §Life of a write, "The walk"): a worker thread attaches the inspector to this
 * process, puts a breakpoint on the first statement of every function of the write
 * layer (src/write/) and of the API (src/repo.ts, src/repo/), and records, at each hit,
 * the function and the stack that called it — until the publish's journal call.
 * Calls into the journal, storage, the foundation and node_modules are not
 * instrumented, so they are aside.
 *
 * Prints, per scenario (a one-row `.gq` insert through `Repo.change`, a three-line
 * JSONL load), the files of src/write/ entered, how many times each was entered
 * (an entry is a call from another file), the returns (entries into a file the walk
 * had entered and left before) and the collapsed sequence of files the walk stops in,
 * returns up the stack included. Runs on the build: `npm run build && node
 * dist/scripts/walk-write.js [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import * as api from '../src/index.js';

const SCHEMA = `node Person {
  name: String @key
  age: I32?
}
node Company {
  name: String @key
}
edge WorksAt: Person -> Company
`;
const GQ = `query add($name: String, $age: I32) {
  insert Person { name: $name, age: $age }
}
`;

/** The worker: CommonJS source run with `eval`, talking to the main thread's inspector. */
const WORKER = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const inspector = require('node:inspector');
const ts = require(workerData.typescript);
const session = new inspector.Session();
session.connectToMainThread();
const post = (method, params) =>
  new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
const urls = new Map();
const points = new Map();
const hits = [];
let recording = false;
// Listening on the port keeps this worker alive while the main thread works.
parentPort.on('message', async (msg) => {
  if (msg === 'start') {
    recording = true;
    parentPort.postMessage('started');
  } else if (msg === 'stop') {
    recording = false;
    await post('Debugger.disable');
    session.disconnect();
    parentPort.postMessage(hits);
  }
});
session.on('Debugger.scriptParsed', (m) => urls.set(m.params.scriptId, m.params.url));
session.on('Debugger.paused', (m) => {
  if (recording) {
    const frames = [];
    for (const f of m.params.callFrames)
      frames.push({ url: urls.get(f.location.scriptId) || f.url, fn: f.functionName });
    for (let s = m.params.asyncStackTrace; s; s = s.parent)
      for (const f of s.callFrames) frames.push({ url: f.url, fn: f.functionName });
    const id = (m.params.hitBreakpoints || [])[0];
    hits.push({ point: points.get(id) || null, frames });
  }
  session.post('Debugger.resume');
});
(async () => {
  await post('Debugger.enable');
  await post('Debugger.setAsyncCallStackDepth', { maxDepth: 64 });
  for (const [scriptId, url] of urls) {
    const m = new RegExp(workerData.instrumented).exec(url);
    if (!m) continue;
    const { scriptSource } = await post('Debugger.getScriptSource', { scriptId });
    const sf = ts.createSourceFile(url, scriptSource, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      let at = null;
      let label = null;
      if (ts.isFunctionLike(node) && node.body) {
        at = ts.isBlock(node.body) && node.body.statements.length > 0
          ? node.body.statements[0].getStart(sf)
          : node.body.getStart(sf);
        label = { kind: 'enter', fn: node.name ? node.name.getText(sf) : '<anonymous>' };
      } else if (ts.isCallExpression(node) && /\bjournal\.publish$/.test(node.expression.getText(sf))) {
        at = node.getStart(sf);
        label = { kind: 'publish' };
      }
      if (at !== null) {
        const lc = sf.getLineAndCharacterOfPosition(at);
        points.set('pending:' + url + ':' + lc.line + ':' + lc.character, {
          ...label,
          url,
          line: lc.line + 1,
          column: lc.character,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const pending = [...points.entries()];
  points.clear();
  for (const [, label] of pending) {
    const scriptId = [...urls.entries()].find(([, u]) => u === label.url)[0];
    try {
      const r = await post('Debugger.setBreakpoint', {
        location: { scriptId, lineNumber: label.line - 1, columnNumber: label.column },
      });
      points.set(r.breakpointId, label);
    } catch {
      /* not a breakable line */
    }
  }
  parentPort.postMessage('ready');
})();
`;

interface Frame {
  url: string;
  fn: string;
}
interface Hit {
  point: { kind: 'enter' | 'publish'; fn?: string; url: string; line: number } | null;
  frames: Frame[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
/** The directory of the src/ tree this script runs against (dist/src beside dist/scripts). */
const srcDir = join(here, '..', 'src');

function fileOf(url: string): string | null {
  if (!url.startsWith('file://')) return null;
  const rel = relative(srcDir, fileURLToPath(url)).split(sep).join('/');
  if (rel.startsWith('..')) return null;
  return `src/${rel.replace(/\.js$/, '.ts')}`;
}

/** A file the walk counts: the write layer and the API. */
const counted = (file: string | null): file is string =>
  file !== null &&
  (file.startsWith('src/write/') || file === 'src/repo.ts' || file.startsWith('src/repo/'));

/**
 * Staging: the row store a row writer's body fills (and its rules), before and after
 * the protocol moved to src/write/protocol/. Like the journal and storage, a library the
 * walk calls; with `stagingAside` its frames are not counted.
 */
const STAGING =
  /^src\/write\/(protocol\/staging\/|(staging|staged-tables|pending-rows|row-rules|cross-row-rules|values|filter|embed-fill)\.ts$)/;

interface Walk {
  /** Files of src/write/ entered, in order of first entry. */
  writeFiles: string[];
  /** Entries (calls from another counted file) per file of src/write/. */
  entries: Record<string, number>;
  /** Entries into a src/write/ file the walk had left (entered before, none of its frames on the stack). */
  returns: number;
  /** Entries into a src/write/ file still on the stack below (a callback into a caller). */
  callbacks: number;
  /** The files of src/write/ control is in, in order, returns up the stack included (repeats collapsed). */
  stops: string[];
  /** Stops at a file of src/write/ the walk had stopped at before. */
  revisits: number;
  /** The entries in order, as `file#function`. */
  steps: string[];
}

type Stack = Array<{ file: string; fn: string; key: string }>;

/** The counted frames of a hit, bottom first. */
function stackOf(h: Hit, stagingAside: boolean): Stack {
  return h.frames
    .map((f) => ({ file: fileOf(f.url), fn: f.fn }))
    .filter(
      (f): f is { file: string; fn: string } =>
        counted(f.file) && !(stagingAside && STAGING.test(f.file)),
    )
    .map((f) => ({ ...f, key: `${f.file}#${f.fn || '<anonymous>'}` }))
    .reverse();
}

/** The walk up to the publish (every call, or with staging's frames aside). */
function walkOf(hits: Hit[], stagingAside: boolean): Walk {
  const end = hits.findIndex((h) => h.point?.kind === 'publish');
  const walk = end >= 0 ? hits.slice(0, end + 1) : hits;
  const out: Walk = {
    writeFiles: [],
    entries: {},
    returns: 0,
    callbacks: 0,
    stops: [],
    revisits: 0,
    steps: [],
  };
  const visited: string[] = [];
  let previous: Stack = [];
  for (const h of walk) {
    const stack = stackOf(h, stagingAside);
    visited.push(...pathBetween(previous, stack));
    previous = stack;
    if (h.point?.kind !== 'enter' || stack.length < 2) continue;
    // A function of an aside file: not a step of the walk.
    const at = fileOf(h.point.url);
    if (stagingAside && at !== null && STAGING.test(at)) continue;
    const top = stack[stack.length - 1];
    const caller = stack[stack.length - 2];
    if (caller.file === top.file || !top.file.startsWith('src/write/')) continue;
    out.entries[top.file] = (out.entries[top.file] ?? 0) + 1;
    out.steps.push(top.key);
    if (!out.writeFiles.includes(top.file)) out.writeFiles.push(top.file);
    else if (stack.slice(0, -1).some((f) => f.file === top.file)) out.callbacks++;
    else out.returns++;
  }
  out.stops = visited
    .filter((f) => f.startsWith('src/write/'))
    .filter((f, i, all) => i === 0 || all[i - 1] !== f);
  out.revisits = out.stops.filter((f, i) => out.stops.indexOf(f) < i).length;
  return out;
}

/** The files control passes through from one stack to the next: up to their common frames, then down. */
function pathBetween(from: Stack, to: Stack): string[] {
  let common = 0;
  while (common < from.length && common < to.length && from[common].key === to[common].key)
    common++;
  const up = from.slice(Math.max(common - 1, 0), -1).reverse();
  return [...up.map((f) => f.file), ...to.slice(common).map((f) => f.file)];
}

async function traced(run: () => Promise<unknown>): Promise<{ protocol: Walk; every: Walk }> {
  const require = createRequire(import.meta.url);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      typescript: require.resolve('typescript'),
      instrumented: `/dist/src/(write/|repo\\.js$|repo/)`,
    },
  });
  await once(worker, 'message');
  worker.postMessage('start');
  await once(worker, 'message');
  await run();
  worker.postMessage('stop');
  const [hits] = (await once(worker, 'message')) as [Hit[]];
  await worker.terminate();
  return { protocol: walkOf(hits, true), every: walkOf(hits, false) };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const dir = mkdtempSync(join(tmpdir(), 'lancelog-walk-'));
  try {
    const repoDir = join(dir, 'repo');
    await api.Repo.init(repoDir, { schemaSource: SCHEMA, schemaFile: 'walk.pg' });
    const repo = await api.Repo.open(repoDir);
    const change = (name: string) =>
      repo.change({ source: GQ, file: 'walk.gq', name: 'add', params: { name, age: 7 } });
    const lines = (n: string) =>
      [
        JSON.stringify({ type: 'Person', data: { name: `p${n}`, age: 1 } }),
        JSON.stringify({ type: 'Company', data: { name: `c${n}` } }),
        JSON.stringify({ edge: 'WorksAt', from: `p${n}`, to: `c${n}` }),
      ].join('\n');
    const load = async (n: string) => {
      const r = repo as unknown as Record<string, unknown>;
      // The public path: Repo.load where it exists, else the load function of its time.
      if (typeof r.load === 'function')
        return (r.load as (i: unknown, o: unknown) => Promise<unknown>).call(
          repo,
          { text: lines(n), file: 'walk.jsonl' },
          { mode: 'append' },
        );
      const loadJsonl = (api as unknown as Record<string, unknown>).loadJsonl as (
        ...a: unknown[]
      ) => Promise<unknown>;
      const ctx = (r.operationContext as () => unknown).call(repo);
      return loadJsonl(ctx, { text: lines(n), file: 'walk.jsonl' }, { mode: 'append' });
    };
    // Warm up: modules loaded lazily and plan caches are not part of the walk.
    await change('warm');
    await load('warm');
    const out = {
      change: await traced(() => change('walked')),
      load: await traced(() => load('w')),
    };
    await repo.close();
    if (json) {
      console.log(JSON.stringify(out));
      return;
    }
    for (const [name, walks] of Object.entries(out))
      for (const [which, w] of Object.entries(walks)) {
        console.log(
          `${name} (${which}): ${w.writeFiles.length} files of src/write/, ${w.returns} returns to a file left, ${w.callbacks} callbacks into a caller; ${w.stops.length} stops, ${w.revisits} at a file visited before`,
        );
        for (const f of w.writeFiles) console.log(`  ${f}: entered ${w.entries[f]}×`);
        if (which === 'protocol') {
          console.log(`  entries: ${w.steps.join(' → ')}`);
          console.log(`  stops: ${w.stops.join(' → ')}`);
        }
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
