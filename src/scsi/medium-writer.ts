/**
 * The write admission of a command, checked again at the moment it changes the medium.
 * A command is admitted when it arrives, but its Data-Out, a read it makes first (COMPARE
 * AND WRITE) or an earlier chunk of it can take long enough for a replicated LU to change
 * role meanwhile. A write admitted under the old role must not land under the new one: on
 * a node just demoted it would be acknowledged yet never reach the new primary. The check
 * runs in the same tick as the device call, so the device sees the role the check saw.
 */
import type { BlockDevice } from '../block/device.js';
import type { BufferHold } from '../util/buffer-pool.js';
import { hostAccessState, notAccessible } from './alua.js';
import type { LogicalUnit } from './logical-unit.js';
import { Asc, SenseError, SenseKey, type SenseInfo } from './sense.js';
import type { Nexus } from './types.js';

/** Why `nexus` may not change the medium now (its port's ALUA state, or write protection); undefined when it may. */
export function writeRefusal(lu: LogicalUnit, nexus: Nexus): SenseInfo | undefined {
  const state = hostAccessState(lu, nexus);
  const inaccessible = state === undefined ? undefined : notAccessible(state);
  if (inaccessible) return inaccessible;
  return lu.writeProtectedFor(nexus) ? { key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED } : undefined;
}

/** Throws the refusal (CHECK CONDITION) when `nexus` may not change the medium now. */
export function assertWritable(lu: LogicalUnit, nexus: Nexus): void {
  const refusal = writeRefusal(lu, nexus);
  if (refusal) throw new SenseError(refusal);
}

/** What a command changes the medium through (flush: to make a discard durable when writing through). */
export type MediumWriter = Pick<BlockDevice, 'write' | 'discard' | 'canDiscard' | 'flush'>;

/** The LU's device for commands from `nexus`: each write and discard is admitted again as it starts. */
export function mediumWriter(lu: LogicalUnit, nexus: Nexus): MediumWriter {
  const device = lu.device;
  return {
    canDiscard: device.canDiscard,
    write(buf: Buffer, offset: number, fua?: boolean, hold?: BufferHold): Promise<void> {
      const refusal = writeRefusal(lu, nexus);
      return refusal ? Promise.reject(new SenseError(refusal)) : device.write(buf, offset, fua, hold);
    },
    discard(offset: number, length: number): Promise<void> {
      const refusal = writeRefusal(lu, nexus);
      return refusal ? Promise.reject(new SenseError(refusal)) : device.discard(offset, length);
    },
    // Changes nothing, so no admission: it only makes durable what was admitted.
    flush: () => device.flush(),
  };
}
