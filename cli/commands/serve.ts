/**
 * `lancelog serve` (the HTTP server), `lancelog ui` (the Explorer on loopback),
 * `lancelog policy validate | test | explain` and `lancelog queries list | validate`.
 * Registration only (light): the actions are in
 * serve-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { POLICY_ACTIONS } from '../../src/server/actions.js';
import { lazyAction } from '../lazy-action.js';

const actions = () => import('./serve-actions.js');
const queryActions = () => import('./queries-actions.js');

function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a repo over HTTP (the reference engine API, bearer auth, Cedar policy)')
    .argument('[repo]', 'repo directory (or --graph NAME=URI …)')
    .option('--uri <repo>', 'repo directory')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', '8080')
    .option('--policy <policy.yaml>', 'authorization policy (default deny for what no rule allows)')
    .option('--refresh-ms <ms>', 'period of the recovery roll-forward (0: off)', '5000')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'info')
    .option('--ui', 'also serve the Explorer web page at /ui/ (docs/ui.md)')
    .option(
      '--graph <NAME=URI>',
      'serve this repo as graph NAME at /graphs/NAME/… (repeatable; instead of <repo>)',
      collect,
      [] as string[],
    )
    .option('--queries <dir>', 'stored queries: the .gq files of dir, checked at startup')
    .action(lazyAction(actions, 'serve'));
}

function collect(value: string, prior: string[]): string[] {
  return [...prior, value];
}

function registerQueries(program: Command): void {
  const queries = program
    .command('queries')
    .description('stored queries (serve --queries DIR): list and check them offline');
  queries
    .command('list')
    .description('each stored query of a directory: name, kind, parameters, description')
    .argument('<dir>', 'the queries directory')
    .option('--json', 'print JSON')
    .action(lazyAction(queryActions, 'queriesList'));
  queries
    .command('validate')
    .description("check every stored query against a repo's schema (or a .pg file)")
    .argument('<dir>', 'the queries directory')
    .option('--uri <repo>', 'the repo whose schema the queries are checked against')
    .option('--schema <file.pg>', 'check against this schema file instead of a repo')
    .option('--graph <NAME>', 'also check the graph folder DIR/NAME (serve --graph NAME=…)')
    .option('--json', 'print JSON')
    .action(lazyAction(queryActions, 'queriesValidate'));
}

function registerUi(program: Command): void {
  program
    .command('ui')
    .description(
      'the Explorer web page on this machine: a loopback-only server; prints the URL (docs/ui.md)',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--port <port>', 'port (0: any free port)', '0')
    .option('--policy <policy.yaml>', 'authorization policy (default deny for what no rule allows)')
    .option('--refresh-ms <ms>', 'period of the recovery roll-forward (0: off)', '5000')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'warn')
    .action(lazyAction(actions, 'ui'));
}

function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('check, test and explain a server policy (policy.yaml)');
  policy
    .command('validate')
    .description('parse a policy.yaml and compile it to Cedar; print the Cedar policies')
    .argument('<policy.yaml>', 'the policy file')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'policyValidate'));
  policy
    .command('test')
    .description('run policy.tests.yaml cases (actor, action, branch, expect) against a policy')
    .argument('<policy.yaml>', 'the policy file')
    .requiredOption('--tests <policy.tests.yaml>', 'the test cases')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'policyTest'));
  policy
    .command('explain')
    .description('the decision for one request, and the rule that allows it')
    .argument('<policy.yaml>', 'the policy file')
    .requiredOption('--actor <actor>', 'the actor')
    .requiredOption('--action <action>', POLICY_ACTIONS.join('|'))
    .option('--branch <branch>', 'the branch read or written')
    .option('--target-branch <branch>', 'the branch created, deleted, merged into or migrated')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'policyExplain'));
}

export function registerServerCommands(program: Command): void {
  registerServe(program);
  registerUi(program);
  registerPolicy(program);
  registerQueries(program);
}
