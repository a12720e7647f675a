/**
 * `lancelog mcp`: the stored queries marked `@expose` as MCP tools on stdio, from a running
 * server or a local repo. Registration only (light): the action is in mcp-actions.ts.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

const actions = () => import('./mcp-actions.js');

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description(
      "an MCP server on stdio: a server's or a local repo's exposed stored queries as typed tools",
    )
    .option('--server <url>', 'a running lancelog serve (token from LANCELOG_TOKEN)')
    .option('--graph <id>', 'the graph of that server (default: its single-graph routes)')
    .option('--uri <repo>', 'a local repo instead of a server')
    .option('--queries <dir>', 'with --uri: the stored queries directory')
    .option('--actor <name>', 'with --uri: the actor recorded on mutations')
    .action(lazyAction(actions, 'mcp'));
}
