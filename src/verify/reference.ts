/** What the verify engine needs from the source copy, local or remote. */
import type { ChallengeAlgorithmCode, ChallengeEntry } from '../replica-protocol/index.js';
import type { AllocationQuery } from './allocation.js';
import type { Extent } from './plan.js';

export interface Reference {
  readonly sizeBytes: number;
  readonly describe: string;
  /** The challenge algorithms it can answer with (a target: those of its C0h page). */
  readonly algorithms: readonly number[];
  /** The answers a faithful replica must give for these entries (V_P), in order. */
  answers(entries: readonly ChallengeEntry[], algorithm: ChallengeAlgorithmCode): Promise<Buffer[]>;
  /** Where it holds nothing (allocation.ts); undefined when it cannot tell. */
  readonly allocation: AllocationQuery;
  /** The reference's bytes of an extent (for repair). */
  read(extent: Extent): Promise<Buffer>;
  close(): Promise<void>;
}
