/** A real `lancelog serve` in the test process (port 0 on 127.0.0.1) and a fetch client. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadJsonl, Repo } from '../../src/index.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/index.js';
import { FIXTURES_DIR } from './fixtures.js';

export const TEST_GQ = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.gq'), 'utf8');
export const MUTATIONS_GQ = `
query add_person($name: String, $age: I32) {
  insert Person { name: $name, age: $age }
}
query set_age($name: String, $age: I32) {
  update Person set { age: $age } where name = $name
}
`;

/** A repo of the test.pg fixture holding test.jsonl. */
export async function makeFixtureRepo(dir: string): Promise<string> {
  await Repo.init(dir, {
    schemaSource: readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8'),
    schemaFile: 'test.pg',
  });
  const repo = await Repo.open(dir);
  try {
    await loadJsonl(
      repo.operationContext(),
      { path: join(FIXTURES_DIR, 'omnigraph', 'test.jsonl') },
      { mode: 'merge' },
    );
  } finally {
    await repo.close();
  }
  return dir;
}

export interface TestServer extends RunningServer {
  /** Every log line the server wrote (pino JSON). */
  logs: Array<Record<string, unknown>>;
}

export async function serveRepo(
  dir: string,
  opts: Partial<ServeOptions> & { env?: NodeJS.ProcessEnv } = {},
): Promise<TestServer> {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const running = await startServer({
    repo: dir,
    port: 0,
    handleSignals: false,
    refreshMs: 0,
    env: {},
    logger: { level: 'info', stream },
    ...opts,
  });
  return Object.assign(running, { logs });
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** One request; the body is JSON (or the raw text when it is not JSON). */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; token?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined || opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.rawBody ?? JSON.stringify(opts.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* NDJSON or text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** `lancelog serve` in a child process (the real CLI through tsx). */
export interface ChildServer {
  child: import('node:child_process').ChildProcess;
  url: string;
  /** Resolves with the exit code (null after a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export async function spawnServer(
  repo: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<ChildServer> {
  const { spawn } = await import('node:child_process');
  const { ROOT, CLI_ENTRY } = await import('./cli.js');
  const { nodeArgsFor } = await import('./bundle.js');
  const child = spawn(
    process.execPath,
    [...(await nodeArgsFor(CLI_ENTRY)), 'serve', repo, '--port', '0', '--refresh-ms', '0', ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    // A server that never says it listens is killed, so no child outlives a failed test.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not report its URL within 180 s:\n${out}`));
    }, 180_000);
    const onData = (b: Buffer): void => {
      out += b.toString('utf8');
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    void exited.then(({ code }) =>
      reject(new Error(`server exited (${code}) before listening:\n${out}`)),
    );
  });
  return { child, url, exited, output: () => out };
}

/** Resident set size of a process, in bytes (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
