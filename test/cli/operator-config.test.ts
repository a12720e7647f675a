/**
 * The operator config (`~/.lancelog/config.yaml`, `LANCELOG_CONFIG`), profiles, aliases
 * and `login`/`logout`, with files in a temp HOME and a real `lancelog serve` that wants a
 * token; bad files get `ConfigInvalid` naming file, line and key (docs/cli.md "Config").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../cli/config/operator-config.js';
import { LancelogError } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeFixtureRepo, MUTATIONS_GQ, spawnServer, type ChildServer } from '../helpers/server.js';

const TOKEN = 'operator-config-test-token-0123456789';
const TEST_GQ = join(FIXTURES_DIR, 'omnigraph', 'test.gq');

let root: string;
let home: string;
let repo: string;
let srv: ChildServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-operator-'));
  repo = await makeFixtureRepo(join(root, 'repo'));
  // Stored queries for the aliases: the fixture's reads and one mutation.
  const queries = join(root, 'queries');
  mkdirSync(queries);
  writeFileSync(join(queries, 'test.gq'), readFileSync(TEST_GQ, 'utf8'));
  writeFileSync(join(queries, 'mutations.gq'), MUTATIONS_GQ);
  srv = await spawnServer(repo, { LANCELOG_SERVER_TOKEN: TOKEN }, ['--queries', queries]);
}, 300_000);

afterAll(async () => {
  srv?.child.kill('SIGTERM');
  await srv?.exited;
  rmSync(root, { recursive: true, force: true });
});

/** A fresh HOME holding `config` as ~/.lancelog/config.yaml. */
function freshHome(config: string): string {
  home = mkdtempSync(join(root, 'home-'));
  mkdirSync(join(home, '.lancelog'));
  writeFileSync(join(home, '.lancelog', 'config.yaml'), config);
  return home;
}

/** The CLI with HOME set and no token or profile from the test's own environment. */
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    HOME: home,
    LANCELOG_TOKEN: '',
    LANCELOG_PROFILE: '',
    LANCELOG_CONFIG: '',
    ...env,
  });

const config = () => `servers:
  prod:
    url: ${srv.url}
profiles:
  served:
    server: prod
    output: csv
  disk:
    store: ${repo}
defaults:
  output: kv
aliases:
  person:
    server: prod
    query: get_person
    args: [name]
  person-here:
    server: prod
    graph: default
    query: get_person
    args: [name]
    format: csv
  hire:
    server: prod
    query: add_person
    args: [name, age]
`;

describe('profiles and defaults', () => {
  it('profile list and show; a profile points a command at its store or server, and its output format applies', async () => {
    freshHome(config());
    const list = await cli(['profile', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json().profiles).toEqual([
      { name: 'served', server: 'prod', url: srv.url, store: null, graph: null, output: 'csv' },
      { name: 'disk', server: null, url: null, store: repo, graph: null, output: null },
    ]);
    const show = await cli(['profile', 'show', 'served']);
    expect(show.stdout).toContain(`server  prod ${srv.url}`);
    expect(show.stdout).not.toContain('token stored');

    const read = ['query', '--query', TEST_GQ, '--name', 'adults'];
    const onDisk = await cli([...read, '--profile', 'disk']);
    expect(onDisk.code, onDisk.stderr).toBe(0);
    expect(onDisk.stdout).toMatch(/^-- row 1 --/); // defaults.output: kv
    const local = await cli([...read, '--format', 'kv', repo]);
    expect(onDisk.stdout).toBe(local.stdout);
    // LANCELOG_PROFILE picks the profile; its server wants a token this HOME does not have.
    const denied = await cli([...read, '--json'], { LANCELOG_PROFILE: 'served' });
    expect(denied.code).toBe(1);
    expect(denied.json()).toMatchObject({ code: 'Unauthorized' });
  }, 300_000);

  it('unknown names are ConfigNameNotFound naming the file; a repo directory given needs no config at all', async () => {
    freshHome(config());
    const r = await cli(['snapshot', '--server', 'staging', '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({
      code: 'ConfigNameNotFound',
      details: { kind: 'server', name: 'staging', file: join(home, '.lancelog', 'config.yaml') },
    });
    const p = await cli(['profile', 'show', 'nope', '--json']);
    expect(p.json()).toMatchObject({ code: 'ConfigNameNotFound', details: { kind: 'profile' } });
    writeFileSync(join(home, '.lancelog', 'config.yaml'), 'nonsense: [');
    const direct = await cli(['snapshot', repo, '--json']);
    expect(direct.code, direct.stdout).toBe(0);
  }, 300_000);
});

describe('login and logout', () => {
  it('login keeps the token in a 0600 file that requests then carry; logout removes it; LANCELOG_TOKEN works without a file', async () => {
    freshHome(config());
    const before = await cli(['snapshot', '--server', 'prod', '--json']);
    expect(before.json()).toMatchObject({ code: 'Unauthorized' });

    const login = await cli(['login', 'prod', '--token', TOKEN]);
    expect(login.code, login.stderr).toBe(0);
    const file = join(home, '.lancelog', 'credentials.yaml');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(login.stdout).not.toContain(TOKEN);
    const after = await cli(['snapshot', '--profile', 'served', '--json']);
    expect(after.code, after.stdout).toBe(0);
    expect((await cli(['profile', 'show', 'served', '--json'])).json().logged_in).toBe(true);

    const logout = await cli(['logout', 'prod', '--json']);
    expect(logout.json()).toMatchObject({ server: 'prod', removed: true });
    expect((await cli(['snapshot', '--server', 'prod', '--json'])).json().code).toBe(
      'Unauthorized',
    );
    const env = await cli(['snapshot', '--server', 'prod', '--json'], { LANCELOG_TOKEN: TOKEN });
    expect(env.code, env.stdout).toBe(0);
  }, 300_000);

  it('a credentials file others can read is refused, not used; login replaces it with a 0600 one', async () => {
    freshHome(config());
    const file = join(home, '.lancelog', 'credentials.yaml');
    writeFileSync(file, `tokens:\n  prod: ${TOKEN}\n`);
    chmodSync(file, 0o644);
    const r = await cli(['snapshot', '--server', 'prod', '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ code: 'CredentialsInsecure', details: { file, mode: '644' } });
    const login = await cli(['login', 'prod', '--token', TOKEN]);
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await cli(['snapshot', '--server', 'prod', '--json'])).code).toBe(0);
  }, 300_000);

  it('login refuses a server the config does not name, and an empty token', async () => {
    freshHome(config());
    const unknown = await cli(['login', 'nope', '--token', TOKEN, '--json']);
    expect(unknown.json()).toMatchObject({ code: 'ConfigNameNotFound' });
    const empty = await cli(['login', 'prod', '--token', ' ', '--json']);
    expect(empty.code).toBe(2);
    expect(empty.json()).toMatchObject({ code: 'UsageError' });
  }, 300_000);
});

describe('aliases', () => {
  it('an alias checks its arguments before any request', async () => {
    freshHome(config());
    const many = await cli(['alias', 'person', 'Alice', 'Bob', '--json']);
    expect(many.code).toBe(2);
    expect(many.json().error).toContain('alias person takes 1 argument(s) (name), got 2');
    const none = await cli(['alias', 'person', '--json']);
    expect(none.code).toBe(2);
    expect(none.json().error).toContain('missing argument(s) name');
    const unknown = await cli(['alias', 'nope', '--json']);
    expect(unknown.json()).toMatchObject({
      code: 'ConfigNameNotFound',
      details: { kind: 'alias' },
    });
  }, 300_000);
});

describe('aliases against a real server (serve --queries)', () => {
  it('a read alias prints what the local read prints; a mutation alias types its arguments by the stored query', async () => {
    freshHome(config());
    const env = { LANCELOG_TOKEN: TOKEN };
    const local = await cli(
      ['query', '--query', TEST_GQ, '--name', 'get_person', '--params', '{"name":"Alice"}'],
      { COLUMNS: '200' },
    );
    const read = ['--params', '{"name":"Alice"}'];
    const viaAlias = await cli(['alias', 'person', 'Alice', '--format', 'jsonl'], env);
    expect(viaAlias.code, viaAlias.stderr).toBe(0);
    const localJsonl = await cli([
      'query',
      '--query',
      TEST_GQ,
      '--name',
      'get_person',
      ...read,
      '--format',
      'jsonl',
      repo,
    ]);
    expect(local.code).toBe(2); // no repo and no defaults.server: a usage error
    expect(viaAlias.stdout).toBe(localJsonl.stdout);
    // The alias's format (csv) and its graph (`default`: the repo of `serve REPO`).
    const csv = await cli(['alias', 'person-here', 'Alice'], env);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('p.name,p.age\r\nAlice,30\r\n');
    const hire = await cli(['alias', 'hire', 'Newbie', '5', '--json'], env);
    expect(hire.code, hire.stdout).toBe(0);
    expect(hire.json()).toMatchObject({
      affectedNodes: 1,
      statements: [{ op: 'insert', type: 'Person', rows: 1 }],
    });
    const badAge = await cli(['alias', 'hire', 'Old', 'five', '--json'], env);
    expect(badAge.code).toBe(2);
    expect(badAge.json().error).toContain('argument age must be an integer');
  }, 300_000);
});

describe('bad config files: ConfigInvalid naming file, line and key', () => {
  const bad = (text: string) => {
    try {
      parseConfig(text, '/x/config.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(LancelogError);
      return err as LancelogError;
    }
    return expect.fail('expected ConfigInvalid');
  };

  it('a token in the config, an unknown key, a bad URL, a profile with two targets, a duplicate key, bad YAML', () => {
    const cases: Array<[string, number, string, string]> = [
      [
        'servers:\n  prod:\n    url: http://h\n    token: abc\n',
        4,
        'servers.prod.token',
        'lancelog login',
      ],
      ['servers: {}\nprofile:\n  a: {}\n', 2, 'profile', "unknown key 'profile'"],
      ['servers:\n  prod:\n    url: ftp://h\n', 3, 'servers.prod.url', 'http'],
      [
        'profiles:\n  a:\n    server: prod\n    store: /tmp/r\n',
        3,
        'profiles.a',
        'exactly one of server or store',
      ],
      ['defaults:\n  output: yaml\n', 2, 'defaults.output', ''],
      ['aliases:\n  x:\n    query: q\n', 3, 'aliases.x.server', ''],
      ['servers:\n  a:\n    url: http://h\n  a:\n    url: http://i\n', 4, '', 'unique'],
      ['servers:\n  prod: [\n', 3, '', ''],
    ];
    for (const [text, line, key, says] of cases) {
      const err = bad(text);
      expect(err.code, text).toBe('ConfigInvalid');
      expect(err.details, text).toMatchObject({ file: '/x/config.yaml', line, key });
      expect(err.message, text).toContain(says);
    }
  });

  it('through the CLI: the error names the file and line; LANCELOG_CONFIG naming a missing file is refused', async () => {
    freshHome('servers:\n  prod:\n    url: http://h\n    token: abc\n');
    const r = await cli(['profile', 'list', '--json']);
    expect(r.code).toBe(1);
    const file = join(home, '.lancelog', 'config.yaml');
    expect(r.json()).toMatchObject({
      code: 'ConfigInvalid',
      details: { file, line: 4, key: 'servers.prod.token' },
    });
    const missing = join(root, 'nope.yaml');
    const m = await cli(['profile', 'list', '--json'], { LANCELOG_CONFIG: missing });
    expect(m.json()).toMatchObject({ code: 'ConfigInvalid', details: { file: missing } });
    const other = join(root, 'other.yaml');
    writeFileSync(other, 'profiles:\n  elsewhere:\n    store: /tmp/r\n');
    const o = await cli(['profile', 'list', '--json'], { LANCELOG_CONFIG: other });
    expect(o.json().profiles.map((p: { name: string }) => p.name)).toEqual(['elsewhere']);
  }, 300_000);
});
