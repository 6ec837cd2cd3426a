/**
 * How one volume takes part in a recovery point, by the state its mirroring is in. The
 * consistency group plans every volume first (outside the hold), then fixes the point's
 * instant with the host writes of every volume whose plan needs it held, then completes it:
 * - continuous async: the point is queued after every acknowledged change and taken when
 *   the shipper reaches it; no hold (see `holdsWrites`);
 * - continuous sync: the backup takes it while writes are held (every acknowledged write
 *   is on it already);
 * - delta: a pass is frozen under the hold, copied after it, and the backup takes the point
 *   once the pass committed (nothing else reaches the backup in delta mode meanwhile: the
 *   group holds the volume's passes).
 */
import { ReplicationAction, encodePointParameters, type PointMarker } from '../../replica-protocol/index.js';
import type { DeltaPassResult } from '../delta-pass.js';
import type { FrozenPass, PassRunner } from '../pass-runner.js';
import { PointDroppedError } from '../queue-errors.js';
import type { ReplicaLink } from '../replica-link.js';
import type { SendQueue } from '../send-queue.js';
import type { ContinuousFlavour, MirrorState } from '../status.js';

/** A recovery point's steps on one volume: `whileHeld` settles before host writes go on; `after` completes it. */
export interface PointSteps {
  whileHeld?: Promise<void>;
  after(): Promise<void>;
}

/**
 * One volume's plan for a point: `fix` gives its steps under the hold, once the point's
 * marker (id, instant) is known. `release` lets go of what a plan never fixed holds (a delta
 * pass's scratch), whatever kept its instant from being fixed; a no-op once fixed.
 */
export interface PointPlan {
  /**
   * Whether host writes must be held, and those in progress finished, to fix the instant.
   * Not in continuous async mirroring: a change is queued before it is applied, so before
   * it is acknowledged, and the marker queued in one synchronous step orders every change
   * acknowledged before it (and every change on another LUN of the group that depends on
   * one) ahead of it, and every change not yet queued after it; changes in progress fall
   * on either side, as concurrent writes may. Waiting for them waited for whatever holds
   * them: a queue past its memory bound makes writes wait for its spill to the journal,
   * and held every host write of the group up to 0.7 s at a point.
   */
  holdsWrites: boolean;
  fix(marker: PointMarker): PointSteps;
  release(): Promise<void>;
}

/** The mirroring a volume is in. */
export interface MirrorMode {
  state: MirrorState;
  flavour: ContinuousFlavour;
}

export interface PointPlanning {
  /** The mirroring now (it may switch between the plan and the point's instant). */
  mode(): MirrorMode;
  queue: SendQueue;
  link: ReplicaLink;
  /** Kick the shipper (a point was queued outside the write path). */
  ship(): void;
  passes: Pick<PassRunner, 'openScratch' | 'closeScratch' | 'freeze'>;
  /** A pass from a frozen point in time onto the peer. */
  pass(frozen: FrozenPass): Promise<DeltaPassResult>;
}

/**
 * What to do under the hold, once the point's marker (id, instant) is known. A switch to
 * delta does not wait for the group (it comes from the I/O path, a tick or an admin): one
 * between the plan and the instant drops the point, which the group takes again in the new
 * mode — marked in a queue already folded it would never be taken, and sent as continuous
 * sync's it would name a state the backup lacks the delta table's changes of.
 */
export async function planPoint(p: PointPlanning): Promise<PointPlan> {
  const planned = p.mode();
  const plan = await planIn(planned, p);
  return {
    holdsWrites: plan.holdsWrites,
    fix: (marker) => {
      const now = p.mode();
      if (now.state === planned.state && now.flavour === planned.flavour) return plan.fix(marker);
      return { after: () => Promise.reject(new PointDroppedError(`mirroring switched to ${now.state} before the point's instant`)) };
    },
    release: () => plan.release(),
  };
}

const holdsNothing = async (): Promise<void> => undefined;

async function planIn(mode: MirrorMode, p: PointPlanning): Promise<PointPlan> {
  if (mode.state === 'continuous' && mode.flavour === 'async') {
    return {
      holdsWrites: false,
      fix: (marker) => {
        const taken = p.queue.markPoint(marker);
        return {
          after: () => {
            p.ship();
            return taken;
          },
        };
      },
      release: holdsNothing,
    };
  }
  if (mode.state === 'continuous') return { holdsWrites: true, fix: (marker) => ({ whileHeld: sendPoint(p.link, marker), after: async () => undefined }), release: holdsNothing };
  // The scratch is opened now: no I/O under the hold. The plan holds it until its pass takes it.
  const scratch = await p.passes.openScratch();
  let taken = false;
  return {
    holdsWrites: true,
    fix: (marker) => {
      const frozen = p.passes.freeze(scratch);
      taken = true;
      return {
        after: async () => {
          await p.pass(frozen);
          await sendPoint(p.link, marker);
        },
      };
    },
    release: async () => {
      if (taken) return;
      taken = true;
      await p.passes.closeScratch(scratch);
    },
  };
}

/** POINT to the backup; a backup without recovery points answers false or refuses. */
export async function sendPoint(link: ReplicaLink, marker: PointMarker): Promise<void> {
  if (!(await link.control(ReplicationAction.POINT, encodePointParameters(marker)))) throw new Error('the backup does not take recovery points (no REPLICATION CONTROL)');
}
