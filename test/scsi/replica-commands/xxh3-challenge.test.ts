/**
 * ALGORITHM 1 (XXH3-128) through the SCSI target: advertised in C0h and answered where the
 * store hashes with it; refused at the ALGORITHM field where it does not (a store without
 * it stands in for a build without libxxhash-dev, so the refusal is tested on every build).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DigestAlgorithm } from '../../../src/block/digest.js';
import { digestParts } from '../../../src/block/digest.js';
import { FileBlockStore } from '../../../src/block/file-store.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import {
  ChallengeAlgorithm,
  ChallengeMode,
  computeChallengeAnswer,
  decodeChallengeAnswers,
  decodeChallengeVpd,
  encodeChallengeCdb,
  encodeChallengeList,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
} from '../../../src/replica-protocol/index.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { itXxh3 } from '../../native/xxh3-build.js';
import { fieldPointerOf, senseOf, write10 } from '../helpers.js';
import { patterned, vendorRig } from './vendor-rig.js';

const XXH3 = ChallengeAlgorithm.XXH3_128;
const dir = mkdtempSync(join(tmpdir(), 'tandem-xxh3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store that hashes with SHA-256 only, as every store does in a build without libxxhash-dev. */
class Sha256OnlyStore extends MemoryBlockStore {
  override get digestAlgorithms(): readonly DigestAlgorithm[] {
    return ['sha256'];
  }
}

/** V the challenger expects for `bytes`: D = XXH3-128 from the addon, then HMAC-SHA-256. */
const expectedV = (bytes: Buffer, nonce: Buffer, lba: bigint, blocks: number) =>
  computeChallengeAnswer({ digest: digestParts('xxh3', [bytes]) }, nonce, lba, blocks, XXH3);

const inquiryC0 = [0x12, 0x01, 0xc0, 0x00, 0xff, 0x00];

describe('ALGORITHM 1 (XXH3-128)', () => {
  itXxh3('C0h advertises it (SUPPORTED ALGORITHMS 0003h)', async () => {
    const { exec } = await vendorRig();
    const page = (await exec(inquiryC0)).dataIn!;
    expect(page.readUInt16BE(14)).toBe(0x0003);
    expect(decodeChallengeVpd(page).algorithms).toEqual([0, 1]);
  });

  itXxh3('CHALLENGE answers HMAC-SHA-256 keyed by the 16-byte XXH3-128 digest; one changed byte changes V', async () => {
    const { exec } = await vendorRig();
    const data = patterned(4);
    await exec(write10(10, 4), data);
    const nonce = Buffer.from('f00dfacecafebeef', 'hex');
    const r = await exec(encodeChallengeCdb({ algorithm: XXH3, lba: 10n, blocks: 4, nonce }));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.subarray(0, 8).toString('hex')).toBe('1000002000000001');
    const v = decodeChallengeAnswers(r.dataIn!).answers[0]!;
    expect(v.equals(expectedV(data, nonce, 10n, 4))).toBe(true);
    const changed = Buffer.from(data);
    changed[1234] ^= 1;
    expect(v.equals(expectedV(changed, nonce, 10n, 4))).toBe(false);
    // Not the SHA-256 answer: the algorithm really switched.
    expect(v.equals(computeChallengeAnswer({ data }, nonce, 10n, 4))).toBe(false);
  });

  itXxh3('a list on a FileBlockStore is one native digestExtents call with xxh3, answers in entry order', async () => {
    const store = await FileBlockStore.open({ path: join(dir, 'lu.img'), size: 256 * 4096 });
    const batch = vi.spyOn(store, 'digestExtents');
    const { exec, target } = await vendorRig(store, 4096);
    const data = patterned(32, 4096, 5);
    await exec(write10(0, 32), data);
    const entries = Array.from({ length: 16 }, (_, i) => ({ lba: BigInt(i * 2), blocks: 2, nonce: Buffer.alloc(16, i) }));
    const list = encodeChallengeList(entries);
    const sent = await exec(encodeSendChallengeListCdb({ algorithm: XXH3, mode: ChallengeMode.HMAC, listId: 9, parameterListLength: list.length }), list);
    expect(sent.status).toBe(ScsiStatus.GOOD);
    const got = decodeChallengeAnswers((await exec(encodeReceiveChallengeAnswersCdb({ listId: 9, allocationLength: 4096 }))).dataIn!);
    expect(batch).toHaveBeenCalledTimes(1);
    expect(batch.mock.calls[0]![1]).toBe('xxh3');
    expect(got).toMatchObject({ algorithm: XXH3, mode: ChallengeMode.HMAC });
    entries.forEach((e, i) => {
      const bytes = data.subarray(Number(e.lba) * 4096, (Number(e.lba) + e.blocks) * 4096);
      expect(got.answers[i]!.equals(expectedV(bytes, e.nonce, e.lba, e.blocks)), `entry ${i}`).toBe(true);
    });
    await target.close();
  });

  itXxh3('reversible mode is not defined for it: SEND → INVALID FIELD IN CDB at MODE (byte 1 bit 3)', async () => {
    const { exec } = await vendorRig();
    const cdb = encodeSendChallengeListCdb({ algorithm: XXH3, mode: ChallengeMode.REVERSIBLE, listId: 1, parameterListLength: 40 });
    const r = await exec(cdb);
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(r)).toMatchObject({ key: 5, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 1, bit: 3 });
  });

  describe('on a store without it (a build without libxxhash-dev)', () => {
    it('C0h does not advertise it (SUPPORTED ALGORITHMS 0001h)', async () => {
      const { exec } = await vendorRig(new Sha256OnlyStore({ size: 64 * 512 }));
      expect((await exec(inquiryC0)).dataIn!.readUInt16BE(14)).toBe(0x0001);
    });

    it('CHALLENGE and SEND are refused at the ALGORITHM field (byte 1 bit 7), before the Data-Out, and leave no list', async () => {
      const { exec } = await vendorRig(new Sha256OnlyStore({ size: 64 * 512 }));
      const refused = async (r: Promise<import('../../../src/scsi/types.js').ScsiResult>) => {
        const result = await r;
        expect(result.status).toBe(ScsiStatus.CHECK_CONDITION);
        expect(senseOf(result)).toMatchObject({ key: 5, asc: 0x24, ascq: 0 });
        expect(fieldPointerOf(result)).toEqual({ cd: true, byte: 1, bit: 7 });
      };
      await refused(exec(encodeChallengeCdb({ algorithm: XXH3, lba: 0n, blocks: 1, nonce: Buffer.alloc(8) })));
      const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: Buffer.alloc(16) }]);
      await refused(exec(encodeSendChallengeListCdb({ algorithm: XXH3, mode: 0, listId: 5, parameterListLength: list.length }), list));
      const r = await exec(encodeReceiveChallengeAnswersCdb({ listId: 5, allocationLength: 100 }));
      expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 2, bit: undefined });
      // SHA-256 still works there.
      expect((await exec(encodeChallengeCdb({ algorithm: 0, lba: 0n, blocks: 1, nonce: Buffer.alloc(8) }))).status).toBe(ScsiStatus.GOOD);
    });
  });
});
