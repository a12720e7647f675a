/** Command registration: one function per command group. */
import type { Command } from 'commander';
import { registerRepoCommands } from './commands/repo.js';
import { registerQueryCommands } from './commands/query.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerDataCommands } from './commands/data.js';
import { registerRecoveryCommands } from './commands/recovery.js';
import { registerChangeCommands } from './commands/change.js';
import { registerReadCommands } from './commands/read.js';
import { registerDrillCommands } from './commands/drill.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerIndexCommands } from './commands/indexes.js';
import { registerMaintenanceCommands } from './commands/maintenance.js';
import { registerChangesCommands } from './commands/changes.js';
import { registerServerCommands } from './commands/serve.js';
import { registerFeedCommands } from './commands/feed.js';
import { registerOperatorCommands } from './commands/operator.js';
import { registerMcpCommand } from './commands/mcp.js';

export function registerCommands(program: Command): void {
  registerRepoCommands(program);
  registerQueryCommands(program);
  registerHistoryCommands(program);
  registerDataCommands(program);
  registerRecoveryCommands(program);
  registerReadCommands(program);
  registerChangeCommands(program);
  registerDrillCommands(program);
  registerDoctorCommand(program);
  registerEmbedCommand(program);
  registerIndexCommands(program);
  registerMaintenanceCommands(program);
  registerChangesCommands(program);
  registerFeedCommands(program);
  registerServerCommands(program);
  registerOperatorCommands(program);
  registerMcpCommand(program);
}
