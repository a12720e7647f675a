/**
 * `lancelog doctor [--deep] [--repair [--confirm]]`: check a repo, and fix what can be fixed without losing acknowledged data.
 * Registration only (light): the actions are in
 * doctor-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { localOnly } from '../remote-options.js';

const actions = () => import('./doctor-actions.js');

export function registerDoctorCommand(program: Command): void {
  localOnly(program.command('doctor'))
    .description(
      'check the journal, the schema fingerprint, operations in flight and HEAD == pin everywhere; --repair fixes what loses no acknowledged data',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option(
      '--deep',
      'also check every file of every version a live branch pins: exists, size, sha256 as written (the scrub)',
    )
    .option(
      '--repair',
      'fix every repairable problem (only when every problem found is repairable)',
    )
    .option(
      '--confirm',
      'with --deep --repair: re-pin damaged heads and record the damage, losing the commits each problem names',
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'doctorAction'));
}
