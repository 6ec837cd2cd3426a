/**
 * Which pass a STAGED WRITE belongs to: the one open when it arrived (its command was
 * received, in CmdSN order), not whichever is open once its Data-Out is complete and it is
 * staged. Between the two a primary that timed it out, or lost its connection, may have
 * opened its next pass, on this session or another; staged there, the write's data (of an
 * older point in time) would reach the image at that pass's COMMIT. So each PASS CONTROL
 * that runs on an LU starts a new era of its staging, a STAGED WRITE takes the era it
 * arrived in, and one staged in a later era is refused (COMMAND SEQUENCE ERROR) with nothing
 * staged. A primary sends a pass's writes after its BEGIN has answered and settles them all
 * before its COMMIT or ABORT, so its own writes never cross one.
 */
import { PassSequenceError, type PassStaging } from '../../block/pass-staging.js';

const eras = new WeakMap<PassStaging, number>();

/** The era a command arriving now takes. */
export function arrivalEra(staging: PassStaging): number {
  return eras.get(staging) ?? 0;
}

/** A PASS CONTROL starts to run: writes that arrived before it may no longer be staged. */
export function newEra(staging: PassStaging): void {
  eras.set(staging, arrivalEra(staging) + 1);
}

/** Throws unless `era` is still current; called right before staging, with no await in between. */
export function checkEra(staging: PassStaging, era: number): void {
  if (arrivalEra(staging) !== era) throw new PassSequenceError('the staged write arrived before the last PASS CONTROL: another pass is open now');
}
