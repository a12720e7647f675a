/** The command tree (also used by the docs test to list every command). */
import { Command } from 'commander';
import { registerCommands } from './commands.js';

export function buildProgram(wantsJson: boolean): Command {
  const program = new Command('lancelog')
    .description(
      'Typed graph store on Lance tables with atomic writes and an event-sourced journal',
    )
    .showHelpAfterError(false)
    // A command's options are read before its subcommand's name only: `query` (a read)
    // and `query lint` both take --query.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      // Usage errors are reported by our own handler (so --json gets JSON).
      writeErr: (s) => {
        if (!wantsJson) process.stderr.write(s);
      },
    });
  registerCommands(program);
  return program;
}

/** Every leaf command as its full path, e.g. `schema show`. */
export function commandPaths(program: Command, prefix = ''): string[] {
  return program.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    return c.commands.length ? commandPaths(c, `${path} `) : [path];
  });
}
