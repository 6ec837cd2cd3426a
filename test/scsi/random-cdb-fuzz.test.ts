import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rig, nexus } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

const ALLOWED = new Set<number>([ScsiStatus.GOOD, ScsiStatus.CHECK_CONDITION, ScsiStatus.RESERVATION_CONFLICT]);

function wellFormedSense(s: Buffer): boolean {
  const code = s[0]! & 0x7f;
  if (code === 0x70) return s.length === 18 && s[7] === 10;
  if (code === 0x72) return s.length === 8 + s[7]!;
  return false;
}

describe('random CDBs', () => {
  it('never throw, and yield GOOD or CHECK CONDITION with well-formed sense, for every supported opcode', async () => {
    const r = await rig({ blocks: 64, advanced: true });
    const opcodes = [...new Set(r.target.commands.all.map((d) => d.opcode))];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...opcodes),
        fc.uint8Array({ minLength: 15, maxLength: 15 }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.boolean(),
        async (opcode, rest, data, otherNexus) => {
          const cdb = Buffer.from([opcode, ...rest]);
          const plan = r.target.prepare({ nexus: nexus(otherNexus ? 2 : 1), lun: 0, cdb, expectedLength: 4096, read: true, write: true, taskAttribute: 0 });
          // Bounded by our limits, never by the CDB's claim beyond them.
          expect(plan.dataOutLength).toBeLessThanOrEqual(8 * 1024 * 1024);
          const out = plan.dataOutLength > 0 ? Buffer.from(data).subarray(0, plan.dataOutLength) : undefined;
          const res = await plan.run(out);
          expect(ALLOWED.has(res.status)).toBe(true);
          if (res.status === ScsiStatus.CHECK_CONDITION) expect(wellFormedSense(res.sense!)).toBe(true);
          // Keep the medium loaded so later runs still reach the handlers.
          if (!r.lu.isMediumPresent()) {
            r.lu.setPrevent(nexus(1), false);
            r.lu.setPrevent(nexus(2), false);
            r.lu.loadOrEject(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('random bytes of any opcode never throw out of prepare/run', async () => {
    const r = await rig({ blocks: 64 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 3 }), async (bytes, lun) => {
        const plan = r.target.prepare({ nexus: nexus(1), lun, cdb: Buffer.from(bytes), expectedLength: 512, read: true, write: false, taskAttribute: 0 });
        const res = await plan.run(plan.dataOutLength ? Buffer.alloc(Math.min(plan.dataOutLength, 4096)) : undefined);
        expect(ALLOWED.has(res.status)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
