/** Command registration: one function per command group. */
import type { Command } from 'commander';
import { registerRepoCommands } from './commands/repo.js';
import { registerQueryCommands } from './commands/query.js';

export function registerCommands(program: Command): void {
  registerRepoCommands(program);
  registerQueryCommands(program);
}
