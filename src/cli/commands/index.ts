import type { Command } from 'commander';

export interface CommandGroup {
  /** Registers the group's command(s); actions lazy-import their use-cases. */
  register(program: Command): void;
}

import { checkCommands } from './check.js';
import { reviewCommands } from './review.js';
import { auditCommands } from './audit.js';
import { lockCommands } from './lock.js';
import { taskCommands } from './task.js';
import { hookCommands } from './hook.js';
import { mcpCommand } from './mcp.js';
import { initCommands } from './init.js';
import { doctorCommands } from './doctor.js';
import { uninstallCommands } from './uninstall.js';
import { adrCommands } from './adr.js';
import { statusCommand } from './status.js';
import { explainCommand } from './explain.js';
import { approveCommand } from './approve.js';
import { rejectCommand } from './reject.js';
import { inboxCommands } from './inbox.js';
import { notifyCommand } from './notify.js';
import { completionCommand } from './completion.js';

/** Order here is the order `gate --help` lists them. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [initCommands, doctorCommands, uninstallCommands, checkCommands, statusCommand, explainCommand, approveCommand, rejectCommand, inboxCommands, auditCommands, lockCommands, taskCommands, hookCommands, mcpCommand, adrCommands, reviewCommands, completionCommand, notifyCommand];
