/** A minimal in-memory ScsiTargetPort: LUs 0 and 1 (one 1 MiB memory) answering INQUIRY, TUR, READ(10), WRITE(10). */
import { ScsiStatus, type Nexus, type PreparedCommand, type ScsiRequest, type ScsiResult, type ScsiTargetPort } from '../../../../src/scsi/types.js';

export const BLOCK = 512;
/** Vendor opcode the tests use for a command that runs until `release()` is called. */
export const HOLD_OPCODE = 0xc0;

export class FakeScsi implements ScsiTargetPort {
  readonly name = 'iqn.2026-01.test:fake';
  readonly memory = Buffer.alloc(1024 * 1024);
  readonly events: string[] = [];
  readonly requests: ScsiRequest[] = [];
  private held: Array<() => void> = [];

  prepare(req: ScsiRequest): PreparedCommand {
    this.requests.push(req);
    const cdb = req.cdb;
    const done = (r: ScsiResult): PreparedCommand => ({ dataOutLength: 0, run: async () => r });
    if (req.lun > 1) return done(checkCondition(0x05, 0x25));
    switch (cdb[0]) {
      case 0x00:
        return done({ status: ScsiStatus.GOOD });
      case 0x12: {
        const d = Buffer.alloc(36);
        d[4] = 31;
        d.write('TANDEM  FAKE', 8, 'latin1');
        return done({ status: ScsiStatus.GOOD, dataIn: d.subarray(0, Math.min(36, cdb.readUInt16BE(3))) });
      }
      case 0x28: {
        const lba = cdb.readUInt32BE(2);
        const n = cdb.readUInt16BE(7);
        return done({ status: ScsiStatus.GOOD, dataIn: Buffer.from(this.memory.subarray(lba * BLOCK, (lba + n) * BLOCK)) });
      }
      case 0x2a: {
        const lba = cdb.readUInt32BE(2);
        const n = cdb.readUInt16BE(7);
        return {
          dataOutLength: n * BLOCK,
          run: async (data) => {
            // Only whole blocks the initiator actually sent are written.
            const len = Math.floor((data?.length ?? 0) / BLOCK) * BLOCK;
            data?.copy(this.memory, lba * BLOCK, 0, len);
            return { status: ScsiStatus.GOOD };
          },
        };
      }
      case HOLD_OPCODE:
        return { dataOutLength: 0, run: () => new Promise<ScsiResult>((resolve) => this.held.push(() => resolve({ status: ScsiStatus.GOOD }))) };
      default:
        return done(checkCondition(0x05, 0x20));
    }
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  get heldCount(): number {
    return this.held.length;
  }

  hasLun(lun: number): boolean {
    return lun <= 1;
  }
  lunReset(lun: number, by: Nexus): void {
    this.events.push(`lunReset ${lun} ${by.isid}`);
  }
  targetReset(by: Nexus, cold: boolean): void {
    this.events.push(`targetReset ${cold ? 'cold' : 'warm'} ${by.isid}`);
  }
  taskSetCleared(lun: number, by: Nexus, clearedFor: readonly Nexus[]): void {
    this.events.push(`taskSet ${lun} ${by.isid} cleared for [${clearedFor.map((n) => n.isid).join(',')}]`);
  }
  nexusLost(nexus: Nexus): void {
    this.events.push(`lost ${nexus.isid}`);
  }
  nexusSeen(nexus: Nexus): void {
    this.events.push(`seen ${nexus.isid}`);
  }
  async close(): Promise<void> {}
}

export function checkCondition(key: number, asc: number): ScsiResult {
  const sense = Buffer.alloc(18);
  sense[0] = 0x70;
  sense[2] = key;
  sense[7] = 10;
  sense[12] = asc;
  return { status: ScsiStatus.CHECK_CONDITION, sense };
}
