/** What the verify engine needs from the source copy, local or remote. */
import type { ChallengeEntry } from '../replica-protocol/index.js';
import type { Extent } from './plan.js';

export interface Reference {
  readonly sizeBytes: number;
  readonly describe: string;
  /** The answers a faithful replica must give for these entries (V_P), in order. */
  answers(entries: readonly ChallengeEntry[]): Promise<Buffer[]>;
  /** The reference's bytes of an extent (for repair). */
  read(extent: Extent): Promise<Buffer>;
  close(): Promise<void>;
}
