import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../../src/block/device.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import {
  encodeChallengeCdb,
  encodeChallengeList,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
} from '../../../src/replica-protocol/index.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

class FailingStore extends MemoryBlockStore {
  override async sha256(): Promise<Buffer> {
    throw new BlockIoError('EIO', 5, 'injected read error');
  }
  override async digestExtents(): Promise<Buffer> {
    throw new BlockIoError('EIO', 5, 'injected read error');
  }
}

describe('a read error while hashing', () => {
  it('CHALLENGE → MEDIUM ERROR, UNRECOVERED READ ERROR', async () => {
    const { exec } = await vendorRig(new FailingStore({ size: 64 * 512 }));
    const r = await exec(encodeChallengeCdb({ algorithm: 0, lba: 0n, blocks: 1, nonce: Buffer.alloc(8) }));
    expect(senseOf(r)).toMatchObject({ key: 3, asc: 0x11, ascq: 0 });
  });

  it('SEND is GOOD; its RECEIVE reports MEDIUM ERROR and the list is gone', async () => {
    const { exec } = await vendorRig(new FailingStore({ size: 64 * 512 }));
    const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: Buffer.alloc(16) }]);
    expect((await exec(encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: list.length }), list)).status).toBe(ScsiStatus.GOOD);
    const receive = encodeReceiveChallengeAnswersCdb({ listId: 1, allocationLength: 100 });
    expect(senseOf(await exec(receive))).toMatchObject({ key: 3, asc: 0x11, ascq: 0 });
    expect(senseOf(await exec(receive))).toMatchObject({ key: 5, asc: 0x24, ascq: 0 });
  });
});
