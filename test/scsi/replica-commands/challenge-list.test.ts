import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import {
  computeChallengeAnswer,
  decodeChallengeAnswers,
  encodeChallengeList,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
  encryptChallenge,
  type ChallengeEntry,
} from '../../../src/replica-protocol/index.js';
import { nexus, senseOf, write10 } from '../helpers.js';
import { GatedStore } from './gated-store.js';
import { patterned, vendorRig } from './vendor-rig.js';

const send = (listId: number, entries: number, mode: 0 | 1 = 0) =>
  encodeSendChallengeListCdb({ algorithm: 0, mode, listId, parameterListLength: 8 + 32 * entries });
const receive = (listId: number, allocationLength = 1 << 20) => encodeReceiveChallengeAnswersCdb({ listId, allocationLength });
const nonceOf = (i: number) => Buffer.alloc(16, i + 1);

async function rigWithData() {
  const store = new GatedStore({ size: 1024 * 512 });
  const rig = await vendorRig(store);
  const data = patterned(64);
  await rig.exec(write10(0, 64), data);
  const block = (lba: number, blocks: number) => data.subarray(lba * 512, (lba + blocks) * 512);
  return { ...rig, store, block };
}

describe('SEND CHALLENGE LIST / RECEIVE CHALLENGE ANSWERS', () => {
  it('HMAC mode: one batch hash call, answers in entry order equal to the challenger’s', async () => {
    const { exec, store, block } = await rigWithData();
    const entries: ChallengeEntry[] = [
      { lba: 0n, blocks: 1, nonce: nonceOf(0) },
      { lba: 5n, blocks: 8, nonce: nonceOf(1) },
      { lba: 63n, blocks: 1, nonce: nonceOf(2) },
      { lba: 100n, blocks: 4, nonce: nonceOf(3) }, // unwritten: zeroes
    ];
    expect((await exec(send(9, entries.length), encodeChallengeList(entries))).status).toBe(ScsiStatus.GOOD);
    const r = await exec(receive(9));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(store.batchCalls).toBe(1);
    const got = decodeChallengeAnswers(r.dataIn!);
    expect(got.mode).toBe(0);
    const expected = entries.map((e) =>
      computeChallengeAnswer({ data: e.lba === 100n ? Buffer.alloc(4 * 512) : block(Number(e.lba), e.blocks) }, e.nonce, e.lba, e.blocks),
    );
    expect(got.answers.map((a) => a.toString('hex'))).toEqual(expected.map((a) => a.toString('hex')));
  });

  it('reversible mode: R_B = R where the data match, not where it differs', async () => {
    const { exec, block } = await rigWithData();
    const r = [Buffer.alloc(16, 0xaa), Buffer.alloc(16, 0xbb)];
    const primaryOfSecond = Buffer.from(block(10, 2));
    primaryOfSecond[3] ^= 1; // the primary's copy of the second extent differs
    const entries = [
      { lba: 0n, blocks: 2, nonce: encryptChallenge({ data: block(0, 2) }, r[0]!) },
      { lba: 10n, blocks: 2, nonce: encryptChallenge({ data: primaryOfSecond }, r[1]!) },
    ];
    expect((await exec(send(1, 2, 1), encodeChallengeList(entries))).status).toBe(ScsiStatus.GOOD);
    const got = decodeChallengeAnswers((await exec(receive(1))).dataIn!);
    expect(got.mode).toBe(1);
    expect(got.answers[0]!.equals(r[0]!)).toBe(true);
    expect(got.answers[1]!.equals(r[1]!)).toBe(false);
  });

  it('RECEIVE sent while hashing is still running waits for it', async () => {
    const { exec, store, block } = await rigWithData();
    store.closeGate();
    const entries = [{ lba: 2n, blocks: 3, nonce: nonceOf(7) }];
    expect((await exec(send(4, 1), encodeChallengeList(entries))).status).toBe(ScsiStatus.GOOD);
    let finished = false;
    const pending = exec(receive(4)).then((res) => ((finished = true), res));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(finished).toBe(false);
    store.openGate();
    const r = await pending;
    expect(decodeChallengeAnswers(r.dataIn!).answers[0]!.equals(computeChallengeAnswer({ data: block(2, 3) }, nonceOf(7), 2n, 3))).toBe(true);
  });

  it('a list is consumed by a full RECEIVE, kept by a short one', async () => {
    const { exec } = await rigWithData();
    await exec(send(3, 2), encodeChallengeList([0, 1].map((i) => ({ lba: BigInt(i), blocks: 1, nonce: nonceOf(i) }))));
    const short = await exec(receive(3, 20));
    expect(short.dataIn!.length).toBe(20);
    const full = await exec(receive(3, 72));
    expect(full.dataIn!.length).toBe(72);
    expect(full.dataIn!.subarray(0, 20).equals(short.dataIn!)).toBe(true);
    expect(senseOf(await exec(receive(3)))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('lists belong to their I_T nexus', async () => {
    const { exec } = await rigWithData();
    await exec(send(5, 1), encodeChallengeList([{ lba: 0n, blocks: 1, nonce: nonceOf(0) }]), nexus(1));
    expect(senseOf(await exec(receive(5), undefined, nexus(2)))).toMatchObject({ key: 5, asc: 0x24 });
    expect((await exec(receive(5), undefined, nexus(1))).status).toBe(ScsiStatus.GOOD);
  });

  it('re-sending a list ID still hashing → OPERATION IN PROGRESS; once done it is replaced', async () => {
    const { exec, store } = await rigWithData();
    const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: nonceOf(0) }]);
    store.closeGate();
    await exec(send(6, 1), list);
    const busy = await exec(send(6, 1), list);
    expect(senseOf(busy)).toMatchObject({ key: 5, asc: 0x00, ascq: 0x16 });
    store.openGate();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await exec(send(6, 2), encodeChallengeList([0, 1].map((i) => ({ lba: 0n, blocks: 1, nonce: nonceOf(i) }))))).status).toBe(ScsiStatus.GOOD);
    expect(decodeChallengeAnswers((await exec(receive(6))).dataIn!).answers).toHaveLength(2);
  });

  it('more outstanding lists than advertised → INSUFFICIENT RESOURCES, per nexus and per LU', async () => {
    const { exec, store } = await rigWithData();
    const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: nonceOf(0) }]);
    // Hashing (the medium stalled): none of them can be given up.
    store.closeGate();
    for (let id = 0; id < 8; id++) expect((await exec(send(id, 1), list)).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await exec(send(8, 1), list))).toMatchObject({ key: 5, asc: 0x55, ascq: 0x03 });
    // Another nexus still has room; receiving one frees a slot for the first.
    expect((await exec(send(8, 1), list, nexus(2))).status).toBe(ScsiStatus.GOOD);
    store.openGate();
    await exec(receive(0));
    expect((await exec(send(8, 1), list)).status).toBe(ScsiStatus.GOOD);
  });

  it('a nexus at its bound with finished lists never received (abandoned) gives up the oldest', async () => {
    const { exec } = await rigWithData();
    const list = encodeChallengeList([{ lba: 0n, blocks: 1, nonce: nonceOf(0) }]);
    // Eight sent and never collected (their RECEIVEs timed out): the session is not stuck.
    for (let id = 0; id < 8; id++) expect((await exec(send(id, 1), list)).status).toBe(ScsiStatus.GOOD);
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let id = 8; id < 20; id++) {
      expect((await exec(send(id, 1), list)).status).toBe(ScsiStatus.GOOD);
      expect(decodeChallengeAnswers((await exec(receive(id))).dataIn!).answers).toHaveLength(1);
    }
    // List 0 gave way to list 8; the other seven are there still, for an initiator that comes back for them.
    expect(senseOf(await exec(receive(0)))).toMatchObject({ key: 5, asc: 0x24 });
    for (let id = 1; id < 8; id++) expect((await exec(receive(id))).status).toBe(ScsiStatus.GOOD);
  });

  it('entry errors point into the parameter list; a refused list leaves nothing behind', async () => {
    const { exec, lu } = await rigWithData();
    const entries = [
      { lba: 0n, blocks: 1, nonce: nonceOf(0) },
      { lba: BigInt(lu.blockCount), blocks: 1, nonce: nonceOf(1) },
    ];
    const r = await exec(send(2, 2), encodeChallengeList(entries));
    expect(senseOf(r)).toMatchObject({ key: 5, asc: 0x21, ascq: 0 });
    expect(r.sense![15]! & 0xc0).toBe(0x80); // SKSV, C/D = 0: the parameter list
    expect(r.sense!.readUInt16BE(16)).toBe(40); // entry 1's LBA
    const tooLong = [{ lba: 0n, blocks: 16385, nonce: nonceOf(0) }];
    const t = await exec(send(2, 1), encodeChallengeList(tooLong));
    expect(senseOf(t)).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    expect(t.sense!.readUInt16BE(16)).toBe(16); // entry 0's EXTENT LENGTH
    expect(senseOf(await exec(receive(2)))).toMatchObject({ key: 5, asc: 0x24 });
  });
});
