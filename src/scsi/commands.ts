/** The command table of a SCSI target: core commands plus the advanced ones. */
import type { CommandDescriptor } from './descriptor.js';
import { CommandTable } from './command-table.js';
import { advancedCommands } from './commands-advanced.js';
import { vendorCommands } from './replica-commands/index.js';
import { inquiryCommand } from './inquiry.js';
import { reportLunsCommand } from './report-luns.js';
import { testUnitReadyCommand } from './test-unit-ready.js';
import { requestSenseCommand } from './request-sense.js';
import { readCapacity10Command, readCapacity16Command } from './read-capacity.js';
import { readCommands } from './read.js';
import { writeCommands } from './write.js';
import { verifyCommands } from './verify.js';
import { writeAndVerifyCommands } from './write-and-verify.js';
import { synchronizeCacheCommands } from './synchronize-cache.js';
import { modeSenseCommands } from './mode-sense.js';
import { modeSelectCommands } from './mode-select.js';
import { startStopUnitCommand } from './start-stop-unit.js';
import { preventAllowCommand } from './prevent-allow.js';
import { prefetchCommands } from './prefetch.js';
import { readDefectDataCommands } from './read-defect-data.js';
import { reportSupportedOpcodesCommand } from './report-supported-opcodes.js';
import { reportSupportedTmfCommand } from './report-supported-tmf.js';
import { sanitizeCommands } from './sanitize/commands.js';
import { reportTargetPortGroupsCommand } from './report-target-port-groups.js';

export interface CommandTableOptions {
  /** LUNs of the target, for REPORT LUNS. */
  listLuns(): readonly number[];
  /** Extra descriptors (defaults to the advanced and vendor commands); later entries win on a clash. */
  extra?: readonly CommandDescriptor[];
}

export function createCommandTable(opts: CommandTableOptions): CommandTable {
  // Commands that describe the table (INQUIRY's VPD pages, RSOC) see it through a thunk.
  let table: CommandTable | undefined;
  const self = (): CommandTable => table!;
  const core: CommandDescriptor[] = [
    testUnitReadyCommand,
    requestSenseCommand,
    inquiryCommand(self),
    reportLunsCommand(opts.listLuns),
    readCapacity10Command,
    readCapacity16Command(self),
    ...readCommands,
    ...writeCommands,
    ...verifyCommands,
    ...writeAndVerifyCommands,
    ...synchronizeCacheCommands,
    ...modeSenseCommands,
    ...modeSelectCommands,
    startStopUnitCommand,
    preventAllowCommand,
    ...prefetchCommands,
    ...readDefectDataCommands,
    reportSupportedOpcodesCommand(self),
    reportSupportedTmfCommand,
    ...sanitizeCommands,
    reportTargetPortGroupsCommand,
  ];
  table = new CommandTable([...core, ...(opts.extra ?? [...advancedCommands, ...vendorCommands])]);
  return table;
}
