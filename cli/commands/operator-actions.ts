/**
 * The actions of `login`, `logout`, `profile list|show` and `alias` (registered in
 * operator.ts; docs/cli.md "Config").
 */
import { isSafeNumber } from 'lossless-json';
import { UsageError } from '../../src/index.js';
import {
  credentialsPath,
  readCredentials,
  removeToken,
  storeToken,
} from '../config/credentials.js';
import {
  configEntry,
  loadConfig,
  type AliasConfig,
  type LoadedConfig,
  type ProfileConfig,
} from '../config/operator-config.js';
import { formatTable } from '../format.js';
import { printResult } from '../output.js';
import { renderRead, type ReadFormat } from '../read-output.js';
import { RemoteGraph } from '../remote/remote-graph.js';
import type { StoredQueryWire } from '../remote/wire.js';
import { serverTarget } from '../target.js';
import { printChange } from './change-actions.js';
import { tableWidth } from './read-actions.js';

interface JsonOpt {
  json?: boolean;
}

/** The token to store: --token, else LANCELOG_TOKEN, else stdin (one line, not a terminal). */
async function tokenInput(opts: { token?: string }): Promise<string> {
  if (opts.token !== undefined) return opts.token.trim();
  const env = process.env.LANCELOG_TOKEN;
  if (env !== undefined && env !== '') return env.trim();
  if (process.stdin.isTTY)
    throw new UsageError('give the token with --token, LANCELOG_TOKEN or on stdin', {
      option: '--token',
    });
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.trim();
}

export async function login(server: string, opts: JsonOpt & { token?: string }): Promise<void> {
  const loaded = loadConfig();
  const { url } = configEntry<{ url: string }>(loaded, 'servers', server);
  const token = await tokenInput(opts);
  if (token === '' || /\s/.test(token))
    throw new UsageError('the token is empty or has white space in it', { option: '--token' });
  const file = storeToken(server, token);
  printResult(
    opts,
    { server, url, credentials: file },
    () => `logged in to ${server} (${url}); the token is in ${file} (mode 0600)`,
  );
}

export function logout(server: string, opts: JsonOpt): void {
  const removed = removeToken(server);
  printResult(opts, { server, removed, credentials: credentialsPath() }, () =>
    removed ? `logged out of ${server}` : `no token was stored for ${server}`,
  );
}

function profileJSON(loaded: LoadedConfig, name: string, p: ProfileConfig) {
  const url =
    p.server === undefined ? null : configEntry<{ url: string }>(loaded, 'servers', p.server).url;
  return {
    name,
    server: p.server ?? null,
    url,
    store: p.store ?? null,
    graph: p.graph ?? null,
    output: p.output ?? null,
  };
}

export function profileList(opts: JsonOpt): void {
  const loaded = loadConfig();
  const profiles = Object.entries(loaded.config.profiles).map(([name, p]) =>
    profileJSON(loaded, name, p),
  );
  printResult(opts, { config: loaded.file, profiles }, () =>
    profiles.length === 0
      ? `no profiles in ${loaded.file}`
      : formatTable(
          ['profile', 'server', 'store', 'graph', 'output'],
          profiles.map((p) => [p.name, p.server, p.store, p.graph, p.output]),
        ),
  );
}

export function profileShow(name: string, opts: JsonOpt): void {
  const loaded = loadConfig();
  const profile = profileJSON(loaded, name, configEntry<ProfileConfig>(loaded, 'profiles', name));
  // Whether a token is stored, never the token itself.
  const loggedIn = profile.server !== null && profile.server in readCredentials().tokens;
  const result = { config: loaded.file, ...profile, logged_in: loggedIn };
  printResult(opts, result, () =>
    [
      `profile ${name}  (${loaded.file})`,
      profile.server !== null
        ? `  server  ${profile.server} ${profile.url}${loggedIn ? '  (token stored)' : ''}`
        : `  store   ${profile.store}`,
      ...(profile.graph !== null ? [`  graph   ${profile.graph}`] : []),
      ...(profile.output !== null ? [`  output  ${profile.output}`] : []),
    ].join('\n'),
  );
}

/** A positional argument as the stored query's parameter kind wants it. */
function argValue(raw: string, arg: string, kind: string | undefined): unknown {
  const bad = (what: string) =>
    new UsageError(`argument ${arg} must be ${what}, got '${raw}'`, { argument: arg, value: raw });
  switch (kind) {
    case 'int':
    case 'bigint':
      if (!/^-?\d+$/.test(raw)) throw bad('an integer');
      return isSafeNumber(raw) ? Number(raw) : BigInt(raw);
    case 'float':
      if (raw.trim() === '' || Number.isNaN(Number(raw))) throw bad('a number');
      return Number(raw);
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw bad('true or false');
      return raw === 'true';
    case 'list':
    case 'vector':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        throw bad('a JSON array');
      }
    default:
      return raw;
  }
}

/** Too many arguments, or one missing with no fixed value: a UsageError before any request. */
function checkArgCount(name: string, alias: AliasConfig, args: string[]): void {
  if (args.length > alias.args.length)
    throw new UsageError(
      `alias ${name} takes ${alias.args.length} argument(s) (${alias.args.join(', ') || 'none'}), got ${args.length}`,
      { alias: name },
    );
  const missing = alias.args.slice(args.length).filter((a) => !(a in alias.params));
  if (missing.length > 0)
    throw new UsageError(`alias ${name}: missing argument(s) ${missing.join(', ')}`, {
      alias: name,
      missing,
    });
}

/** The alias's fixed params, then its positional arguments, typed by the stored query. */
function aliasParams(
  alias: AliasConfig,
  args: string[],
  stored: StoredQueryWire | undefined,
): Record<string, unknown> {
  const params: Record<string, unknown> = { ...alias.params };
  args.forEach((raw, i) => {
    const arg = alias.args[i];
    params[arg] = argValue(raw, arg, stored?.params.find((p) => p.name === arg)?.kind);
  });
  return params;
}

export async function alias(
  name: string,
  args: string[],
  opts: JsonOpt & { branch?: string; format?: ReadFormat },
): Promise<void> {
  const loaded = loadConfig();
  const entry = configEntry<AliasConfig>(loaded, 'aliases', name);
  checkArgCount(name, entry, args);
  const graph = new RemoteGraph(serverTarget(loaded, entry.server, entry.graph));
  const stored = (await graph.storedQueries()).find((q) => q.name === entry.query);
  const params = aliasParams(entry, args, stored);
  const answer = await graph.invokeStored(entry.query, params, opts.branch);
  if (answer.kind === 'mutation') {
    printChange(opts, entry.query, answer.result);
    return;
  }
  const format: ReadFormat = opts.json
    ? 'json'
    : (opts.format ??
      entry.format ??
      loaded.config.defaults.output ??
      (process.stdout.isTTY ? 'table' : 'jsonl'));
  process.stdout.write(renderRead(answer.doc, format, tableWidth()));
}
