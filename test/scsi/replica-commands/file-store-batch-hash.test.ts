import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileBlockStore } from '../../../src/block/file-store.js';
import {
  computeChallengeAnswer,
  decodeChallengeAnswers,
  encodeChallengeCdb,
  encodeChallengeList,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
} from '../../../src/replica-protocol/index.js';
import { write10 } from '../helpers.js';
import { patterned, vendorRig } from './vendor-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-vendor-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('on a FileBlockStore', () => {
  it('a list is hashed by one native digestExtents call and matches the challenger', async () => {
    const store = await FileBlockStore.open({ path: join(dir, 'lu.img'), size: 256 * 4096 });
    const batch = vi.spyOn(store, 'digestExtents');
    const { exec, target } = await vendorRig(store, 4096);
    const data = patterned(32, 4096, 3);
    await exec(write10(0, 32), data);
    const entries = Array.from({ length: 16 }, (_, i) => ({ lba: BigInt(i * 2), blocks: 2, nonce: Buffer.alloc(16, i) }));
    const list = encodeChallengeList(entries);
    await exec(encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 42, parameterListLength: list.length }), list);
    const got = decodeChallengeAnswers((await exec(encodeReceiveChallengeAnswersCdb({ listId: 42, allocationLength: 4096 }))).dataIn!);
    expect(batch).toHaveBeenCalledTimes(1);
    entries.forEach((e, i) => {
      const bytes = data.subarray(Number(e.lba) * 4096, (Number(e.lba) + e.blocks) * 4096);
      expect(got.answers[i]!.equals(computeChallengeAnswer({ data: bytes }, e.nonce, e.lba, e.blocks))).toBe(true);
    });
    // The single form goes through the native file hash too.
    const nonce = Buffer.from('0011223344556677', 'hex');
    const single = decodeChallengeAnswers((await exec(encodeChallengeCdb({ algorithm: 0, lba: 4n, blocks: 3, nonce }))).dataIn!);
    expect(single.answers[0]!.equals(computeChallengeAnswer({ data: data.subarray(4 * 4096, 7 * 4096) }, nonce, 4n, 3))).toBe(true);
    await target.close();
  });
});
