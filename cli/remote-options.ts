/**
 * The options that point a data command at a server instead of a repo directory, and the
 * refusal of the maintenance verbs, which work on a repo directory only (light: used at
 * registration; docs/cli.md "Talking to a server").
 */
import type { Command } from 'commander';
import { LancelogError } from '../src/light.js';

export function remoteOptions(cmd: Command): Command {
  return cmd
    .option('--server <url|name>', 'a lancelog server (a URL, or a name from the config)')
    .option('--graph <id>', 'the graph on a multi-graph server (its /graphs/{id}/ routes)')
    .option('--profile <name>', 'a profile of the operator config (LANCELOG_PROFILE)');
}

/** A maintenance verb: `--server` / `--graph` / `--profile` are refused, saying why. */
export function localOnly(cmd: Command): Command {
  return cmd
    .option('--server <url|name>', 'not accepted: this command works on a repo directory only')
    .option('--graph <id>', 'not accepted: this command works on a repo directory only')
    .option('--profile <name>', 'not accepted: this command works on a repo directory only')
    .hook('preAction', (_self, action) => {
      const opts = action.opts<{ server?: string; graph?: string; profile?: string }>();
      const given =
        opts.server !== undefined
          ? '--server'
          : opts.graph !== undefined
            ? '--graph'
            : opts.profile !== undefined
              ? '--profile'
              : undefined;
      if (given === undefined) return;
      const name = commandPath(action);
      throw new LancelogError(
        'LocalOnlyCommand',
        `${name} works on a repo directory only (maintenance is never done over HTTP); run it on the server's machine without ${given}`,
        { command: name },
      );
    });
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
