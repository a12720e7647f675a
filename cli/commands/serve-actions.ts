/**
 * The actions of `lancelog serve` (the HTTP server) and `lancelog policy validate | test |
 * explain`. Loaded when one of these commands runs (registered in serve.ts).
 */
import { z } from 'zod';
import { UsageError } from '../../src/index.js';
import { POLICY_ACTIONS } from '../../src/server/actions.js';

/** The server (fastify, pino, Cedar) is loaded only by the commands that use it: start-up. */
const server = () => import('../../src/server/index.js');
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';

const ServeFlags = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  policy: z.string().min(1).optional(),
  refreshMs: z.coerce.number().int().min(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  uri: z.string().optional(),
  ui: z.boolean().optional(),
  graph: z.array(z.string().regex(/^[^=]+=.+$/, 'expected NAME=URI')).optional(),
  queries: z.string().min(1).optional(),
});
const UiFlags = ServeFlags.omit({ host: true, ui: true, graph: true, queries: true });

/** `--graph NAME=URI …` as graph id → repo directory; a name given twice is refused. */
function graphFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    const name = v.slice(0, at);
    if (name in out) throw new UsageError(`--graph ${name}: given twice`, { flag: 'graph' });
    out[name] = v.slice(at + 1);
  }
  return out;
}

function flags<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  throw new UsageError(`--${flag}: ${issue.message}`, { flag });
}

const ExplainFlags = z.object({
  actor: z.string().min(1),
  action: z.enum(POLICY_ACTIONS),
  branch: z.string().min(1).optional(),
  targetBranch: z.string().min(1).optional(),
});

export async function serve(
  repoArg: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const opts = flags(ServeFlags, raw);
  const { startServer } = await server();
  const graphs = graphFlags(opts.graph ?? []);
  const several = Object.keys(graphs).length > 0;
  await startServer({
    ...(several && repoArg === undefined && opts.uri === undefined
      ? { graphs }
      : { repo: resolveRepo(repoArg, opts), ...(several ? { graphs } : {}) }),
    ...(opts.queries !== undefined ? { queriesDir: opts.queries } : {}),
    host: opts.host,
    port: opts.port,
    refreshMs: opts.refreshMs,
    logger: { level: opts.logLevel },
    ui: opts.ui ?? false,
    ...(opts.policy !== undefined ? { policyFile: opts.policy } : {}),
  });
  // The server runs until SIGINT/SIGTERM (src/server/serve.ts shuts down and exits).
}

/** `lancelog ui`: the Explorer on 127.0.0.1; prints the page's URL (with its token, if it made one). */
export async function ui(repoArg: string | undefined, raw: Record<string, unknown>): Promise<void> {
  const opts = flags(UiFlags, raw);
  const { startExplorer } = await server();
  const running = await startExplorer({
    repo: resolveRepo(repoArg, opts),
    port: opts.port,
    refreshMs: opts.refreshMs,
    logger: { level: opts.logLevel },
    ...(opts.policy !== undefined ? { policyFile: opts.policy } : {}),
  });
  process.stdout.write(
    `Lancelog Explorer: ${running.pageUrl}\n(loopback only; ${running.token !== null ? 'the token in the URL is for this run only' : 'sign in with a configured token'}; Ctrl-C stops it)\n`,
  );
}

export async function policyValidate(file: string, opts: { json?: boolean }): Promise<void> {
  const { PolicyEngine } = await server();
  const engine = PolicyEngine.load(file);
  const p = engine.policy;
  printResult(
    opts,
    {
      file,
      ok: true,
      groups: Object.keys(p.groups),
      rules: p.rules.map((r) => r.id),
      cedar: engine.cedarText(),
    },
    () =>
      `${file}: ok (${p.rules.length} rule(s), ${Object.keys(p.groups).length} group(s))\n\n${engine.cedarText()}`,
  );
}

export async function policyTest(
  file: string,
  opts: { tests: string; json?: boolean },
): Promise<void> {
  const { PolicyEngine, loadPolicyTests, runPolicyTests } = await server();
  const engine = PolicyEngine.load(file);
  const tests = loadPolicyTests(opts.tests);
  const failures = runPolicyTests(engine, tests);
  printResult(opts, { file, tests: opts.tests, cases: tests.cases.length, failures }, () =>
    [
      `${tests.cases.length - failures.length}/${tests.cases.length} case(s) pass`,
      ...failures.map((f) => `FAIL ${f.id}: expected ${f.expected}, got ${f.got} (${f.reason})`),
    ].join('\n'),
  );
  if (failures.length > 0) process.exitCode = 1;
}

export async function policyExplain(file: string, raw: Record<string, unknown>): Promise<void> {
  const opts = flags(ExplainFlags, raw);
  const { PolicyEngine } = await server();
  const engine = PolicyEngine.load(file);
  const d = engine.authorize({
    actor: opts.actor,
    action: opts.action,
    branch: opts.branch ?? null,
    targetBranch: opts.targetBranch ?? null,
  });
  printResult(
    { json: raw.json === true },
    { ...opts, decision: d.allowed ? 'allow' : 'deny', rule: d.rule, reason: d.reason },
    () => `${d.allowed ? 'ALLOW' : 'DENY'}: ${d.reason}`,
  );
}
