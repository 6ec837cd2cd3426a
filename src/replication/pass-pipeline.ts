/**
 * The transfers of a pass in flight while the pass plans further: at most the pace's window
 * of chunk data and `maxOps` operations at once, so planning (allocation queries) overlaps
 * sending, and memory stays bounded whatever the volume's size. The first failure stops
 * new transfers and is rethrown by the next add() or by drain(). It measures what it moved
 * and for how long it had transfers in flight, for the pace of the next pass.
 */
import { IoBudget } from '../util/io-budget.js';

export class PassPipeline {
  private readonly budget: IoBudget;
  /** Chunk data of the transfers that completed. */
  movedBytes = 0;

  constructor(pace: { readonly windowBytes: number }, maxOps: number) {
    this.budget = new IoBudget(maxOps, () => pace.windowBytes);
  }

  /** Time with at least one transfer in flight, in ms. */
  get busyMs(): number {
    return this.budget.busyMs;
  }

  /** Starts `task` (holding `bytes` of chunk data) once there is room for it. */
  add(bytes: number, task: () => Promise<void>): Promise<void> {
    return this.budget.start(bytes, () => task().then(() => void (this.movedBytes += bytes)));
  }

  /** Waits for every transfer started; rethrows the first failure. */
  drain(): Promise<void> {
    return this.budget.drain();
  }
}
