/** A vendor command for task-set tests: it records when it starts, and completes only when the test opens its gate. */
import type { CommandDescriptor } from '../../../src/scsi/descriptor.js';

export const GATED = 0xc0;

/** A vendor command that records when it starts and completes only when the test opens its gate (CDB byte 1 names it). */
export function gatedCommands() {
  const events: string[] = [];
  const gates = new Map<number, () => void>();
  const descriptor: CommandDescriptor = {
    name: 'GATED', opcode: GATED, cdbLength: 6, direction: 'none', writesMedium: false, accessesMedium: false, conflict: 0, usage: [GATED, 0xff, 0, 0, 0, 0],
    prepare: (_lu, { cdb }) => ({
      dataOutLength: 0,
      run: () => {
        const id = cdb[1]!;
        events.push(`start ${id}`);
        return new Promise<void>((resolve) => gates.set(id, () => {
          events.push(`end ${id}`);
          resolve();
        }));
      },
    }),
  };
  return { descriptor, events, open: (id: number) => gates.get(id)!() };
}
