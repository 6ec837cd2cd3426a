import { describe, expect, it } from 'vitest';
import { ChallengeLimits, encodeChallengeList, encodeSendChallengeListCdb } from '../../../src/replica-protocol/index.js';
import { ChallengeLists, type ChallengeList } from '../../../src/scsi/replica-commands/challenge-lists.js';
import { SenseError } from '../../../src/scsi/sense.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { nexus } from '../helpers.js';
import { GatedStore } from './gated-store.js';
import { vendorRig } from './vendor-rig.js';

// docs/vendor-commands.md §5: memory for lists is bounded by 64 × (entries + answers) per LU,
// whatever initiators claim. A list whose session ended still hashes (and will hold answers):
// it must keep counting against the LU until its hashing settles.
describe('per-LU bound on challenge lists across lost nexuses', () => {
  it('repeated login, SEND, logout never starts more hashing than the LU bound', async () => {
    const store = new GatedStore({ size: 1024 * 512 });
    const { target, exec } = await vendorRig(store);
    store.closeGate();
    const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: Buffer.alloc(16, 1) }]);
    const send = (id: number, who = nexus(1)) =>
      exec(encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: id, parameterListLength: list.length }), list, who);
    let accepted = 0;
    const rounds = ChallengeLimits.MAX_LISTS_PER_LU / ChallengeLimits.MAX_LISTS_PER_NEXUS + 1;
    for (let round = 0; round < rounds; round++) {
      const who = nexus(1);
      target.nexusSeen(who);
      for (let id = 1; id <= ChallengeLimits.MAX_LISTS_PER_NEXUS; id++) {
        if ((await send(id, who)).status === ScsiStatus.GOOD) accepted++;
      }
      target.nexusLost(who);
    }
    expect(accepted).toBe(ChallengeLimits.MAX_LISTS_PER_LU);
    expect(store.batchCalls).toBe(accepted);
    // Once the orphaned hashing settles, its room is the LU's again.
    store.openGate();
    await new Promise((resolve) => setImmediate(resolve));
    const who = nexus(1);
    target.nexusSeen(who);
    expect((await send(1, who)).status).toBe(ScsiStatus.GOOD);
  });

  it('orphaned lists still hashing count until settled; finished ones free their room at once', async () => {
    const lists = new ChallengeLists(4, 3);
    let settle!: () => void;
    const hashing: ChallengeList = { state: 'hashing', settled: new Promise<void>((r) => (settle = r)) };
    lists.add('a', 1, hashing);
    lists.add('a', 2, { state: 'done', answers: Buffer.alloc(8), settled: Promise.resolve() });
    lists.add('b', 1, { state: 'done', answers: Buffer.alloc(8), settled: Promise.resolve() });
    lists.forgetNexus('a');
    expect(lists.size).toBe(2);
    lists.makeRoom('c', 1);
    lists.add('c', 1, { state: 'hashing', settled: new Promise(() => {}) });
    expect(() => lists.checkRoom('d', 1)).toThrow(SenseError);
    hashing.state = 'done';
    settle();
    await hashing.settled;
    await Promise.resolve();
    expect(lists.size).toBe(2);
    expect(() => lists.checkRoom('d', 1)).not.toThrow();
  });
});
