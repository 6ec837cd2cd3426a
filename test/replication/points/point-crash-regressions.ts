/**
 * Scenarios the crash property once failed on, replayed by it every run (fast-check
 * `examples`). Each is the shrunk counterexample as fast-check printed it.
 */
import type { Scenario } from './point-crash-world.js';

export const REGRESSIONS: Scenario[] = [
  // A point read planned a unit from the image; an overwrite whose copy-on-write claimed it
  // waited for the read, but an overlapping overwrite after it (the units claimed, then held)
  // did not, and the read saw its data (CI, 2026-12-02).
  {"volumeBlocks":64,"granularity":1024,"steps":[{"kind":"write","block":0,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"take","advanceMin":0},{"kind":"write","block":0,"blocks":1},{"kind":"read","pick":0,"block":0,"blocks":1},{"kind":"write","block":0,"blocks":7},{"kind":"take","advanceMin":0},{"kind":"write","block":4,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":0,"blocks":7},{"kind":"discard","block":10,"blocks":1},{"kind":"read","pick":0,"block":0,"blocks":1},{"kind":"give-up","pick":0},{"kind":"write","block":8,"blocks":11},{"kind":"flush"},{"kind":"discard","block":19,"blocks":2},{"kind":"take","advanceMin":0},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":20,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":0,"blocks":3},{"kind":"read","pick":0,"block":0,"blocks":1},{"kind":"write","block":0,"blocks":5},{"kind":"write","block":20,"blocks":3},{"kind":"take","advanceMin":0},{"kind":"write","block":0,"blocks":1},{"kind":"discard","block":0,"blocks":1},{"kind":"flush"},{"kind":"prune","pick":0},{"kind":"retain","last":1},{"kind":"prune","pick":0},{"kind":"write","block":18,"blocks":1},{"kind":"prune","pick":0},{"kind":"take","advanceMin":0},{"kind":"discard","block":0,"blocks":1},{"kind":"write","block":0,"blocks":3},{"kind":"retain","last":2},{"kind":"read","pick":0,"block":0,"blocks":1},{"kind":"retain","last":2},{"kind":"read","pick":0,"block":18,"blocks":3},{"kind":"write","block":14,"blocks":7},{"kind":"discard","block":14,"blocks":1},{"kind":"give-up","pick":0},{"kind":"discard","block":0,"blocks":1},{"kind":"write","block":0,"blocks":1},{"kind":"write","block":18,"blocks":3},{"kind":"prune","pick":0}],"crashAfter":0.99,"crashExtra":2,"keep":"none","seed":17},
];
