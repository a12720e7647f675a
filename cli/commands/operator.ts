/**
 * The operator's own commands (docs/cli.md "Config"): `login` / `logout` keep a server's
 * token, `profile list|show` print the config's profiles, `alias NAME …` invokes a stored
 * query through an alias of the config. Registration only (light): the actions are in
 * operator-actions.ts, loaded when a command runs.
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { READ_FORMATS } from '../read-formats.js';

const actions = () => import('./operator-actions.js');

export function registerOperatorCommands(program: Command): void {
  program
    .command('login')
    .description(
      'store a bearer token for a server of the config (credentials.yaml beside it, mode 0600); the token comes from --token, LANCELOG_TOKEN or stdin',
    )
    .argument('<server>', 'a server name from the config')
    .option('--token <token>', 'the token (else LANCELOG_TOKEN, else read from stdin)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'login'));

  program
    .command('logout')
    .description("remove a server's stored token")
    .argument('<server>', 'a server name from the config')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'logout'));

  const profile = program.command('profile').description('the profiles of the operator config');
  profile
    .command('list')
    .description('every profile: its server or store, graph and output format')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'profileList'));
  profile
    .command('show')
    .description("one profile, resolved: the server's URL and whether a token is stored")
    .argument('<name>', 'profile name')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'profileShow'));

  program
    .command('alias')
    .description(
      "invoke a stored query through an alias of the config: positional arguments are the alias's args, in order",
    )
    .argument('<name>', 'alias name')
    .argument('[args...]', "values of the alias's args")
    .option('--branch <branch>', 'branch to run on (default main)')
    .addOption(
      new Option('--format <format>', "output format of a read (default: the alias's)").choices(
        READ_FORMATS,
      ),
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'alias'));
}
