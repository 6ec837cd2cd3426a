/** Lookup of command descriptors by opcode and service action (SPC-4 §4.2.5.1). */
import type { CommandDescriptor } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';

function availableOn(d: CommandDescriptor, lu: LogicalUnit): boolean {
  return d.availableOn?.(lu) ?? true;
}

/** Opcodes whose byte 1 (bits 4-0) carries a service action among the commands we know. */
function key(opcode: number, serviceAction?: number): number {
  return serviceAction === undefined ? opcode << 16 : (opcode << 16) | 0x8000 | serviceAction;
}

export class CommandTable {
  private readonly byKey = new Map<number, CommandDescriptor>();
  private readonly multiplexed = new Set<number>();
  readonly all: readonly CommandDescriptor[];

  constructor(descriptors: readonly CommandDescriptor[]) {
    // Later entries override earlier ones so a specialised table can replace a core command.
    for (const d of descriptors) {
      this.byKey.set(key(d.opcode, d.serviceAction), d);
      if (d.serviceAction !== undefined) this.multiplexed.add(d.opcode);
    }
    this.all = [...this.byKey.values()].sort(
      (a, b) => a.opcode - b.opcode || (a.serviceAction ?? -1) - (b.serviceAction ?? -1),
    );
  }

  /** Whether `opcode` is multiplexed by service action. */
  hasServiceActions(opcode: number): boolean {
    return this.multiplexed.has(opcode);
  }

  /** The service action field of a CDB for a multiplexed opcode. */
  static serviceActionOf(cdb: Buffer): number {
    // Variable-length CDBs (7Fh) carry it in bytes 8-9; everything else in byte 1 bits 4-0.
    return cdb[0] === 0x7f ? cdb.readUInt16BE(8) : cdb[1]! & 0x1f;
  }

  /** The descriptor a CDB names, or undefined for an unsupported opcode/service action (on `lu`, if given). */
  lookupCdb(cdb: Buffer, lu?: LogicalUnit): CommandDescriptor | undefined {
    const opcode = cdb[0]!;
    return this.multiplexed.has(opcode)
      ? this.lookup(opcode, CommandTable.serviceActionOf(cdb), lu)
      : this.lookup(opcode, undefined, lu);
  }

  /** The descriptor, if the table has it and (given `lu`) that LU has the command. */
  lookup(opcode: number, serviceAction?: number, lu?: LogicalUnit): CommandDescriptor | undefined {
    const d = this.byKey.get(key(opcode, serviceAction));
    return d && (!lu || availableOn(d, lu)) ? d : undefined;
  }

  supports(opcode: number, serviceAction?: number, lu?: LogicalUnit): boolean {
    return this.lookup(opcode, serviceAction, lu) !== undefined;
  }

  /** Every descriptor `lu` has, in table order. */
  allOn(lu: LogicalUnit): CommandDescriptor[] {
    return this.all.filter((d) => availableOn(d, lu));
  }
}
