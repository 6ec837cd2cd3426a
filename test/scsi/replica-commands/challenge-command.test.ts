import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import {
  computeChallengeAnswer,
  decodeChallengeAnswers,
  encodeChallengeCdb,
} from '../../../src/replica-protocol/index.js';
import { write10 } from '../helpers.js';
import { patterned, vendorRig } from './vendor-rig.js';

const nonce = Buffer.from('f00dfacecafebeef', 'hex');

describe('CHALLENGE (C1h) through the SCSI target', () => {
  it('answers V_B equal to what the challenger computes from its own copy', async () => {
    const { exec } = await vendorRig();
    const data = patterned(4);
    expect((await exec(write10(10, 4), data)).status).toBe(ScsiStatus.GOOD);
    const r = await exec(encodeChallengeCdb({ algorithm: 0, lba: 10n, blocks: 4, nonce }));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.length).toBe(40);
    const answers = decodeChallengeAnswers(r.dataIn!);
    expect(answers).toMatchObject({ algorithm: 0, mode: 0 });
    expect(answers.answers).toHaveLength(1);
    expect(answers.answers[0]!.equals(computeChallengeAnswer({ data }, nonce, 10n, 4))).toBe(true);
  });

  it('a one-byte difference on the responder changes V', async () => {
    const { exec } = await vendorRig();
    const primary = patterned(2);
    const backup = Buffer.from(primary);
    backup[777] ^= 0x40;
    await exec(write10(0, 2), backup);
    const r = await exec(encodeChallengeCdb({ algorithm: 0, lba: 0n, blocks: 2, nonce }));
    const v = decodeChallengeAnswers(r.dataIn!).answers[0]!;
    expect(v.equals(computeChallengeAnswer({ data: primary }, nonce, 0n, 2))).toBe(false);
    expect(v.equals(computeChallengeAnswer({ data: backup }, nonce, 0n, 2))).toBe(true);
  });

  it('binds the block ID: the same bytes at another LBA give another V', async () => {
    const { exec } = await vendorRig();
    const data = patterned(1);
    await exec(write10(3, 1), data);
    await exec(write10(4, 1), data);
    const at = async (lba: bigint) => decodeChallengeAnswers((await exec(encodeChallengeCdb({ algorithm: 0, lba, blocks: 1, nonce }))).dataIn!).answers[0]!;
    const [v3, v4] = [await at(3n), await at(4n)];
    expect(v3.equals(v4)).toBe(false);
    expect(v4.equals(computeChallengeAnswer({ data }, nonce, 4n, 1))).toBe(true);
  });

  it('the last block of the medium can be challenged', async () => {
    const { exec, lu } = await vendorRig();
    const r = await exec(encodeChallengeCdb({ algorithm: 0, lba: BigInt(lu.blockCount - 1), blocks: 1, nonce }));
    expect(r.status).toBe(ScsiStatus.GOOD);
    const v = decodeChallengeAnswers(r.dataIn!).answers[0]!;
    expect(v.equals(computeChallengeAnswer({ data: Buffer.alloc(512) }, nonce, BigInt(lu.blockCount - 1), 1))).toBe(true);
  });
});
