/**
 * PERSISTENT RESERVE OUT / PREEMPT AND ABORT through the transport (SPC-4 r37 §5.13.11.2.4,
 * SAM-5 §5.6): the preempted nexus's tasks on the LU are aborted as ABORT TASK SET aborts
 * them — one waiting for its Data-Out ends at once, one already in the block device cannot be
 * undone and is waited for — and the PREEMPT AND ABORT answers GOOD only after they ended.
 * With the Control page's TAS=0 they end without status and the nexus is told COMMANDS
 * CLEARED BY ANOTHER INITIATOR; with TAS=1 each answers TASK ABORTED and no such unit
 * attention follows. The sender's own commands are untouched, and a plain PREEMPT aborts nothing.
 *
 * The TAS rig (helpers/tas-rig.ts): real ScsiTarget and LogicalUnit behind an IscsiServer,
 * two initiator ports (A sends the PREEMPT AND ABORT, B is preempted), writes held in the
 * device by gates the test opens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { startTasRig, status, testUnitReady } from './helpers/tas-rig.js';
import type { TestInitiator } from './helpers/test-initiator.js';

const IQN = 'iqn.2026-01.test:preempt-and-abort';
const [REGISTER_IGNORE, RESERVE, PREEMPT, PREEMPT_AND_ABORT] = [6, 1, 4, 5];
/** Every registrant may write: the sender and the preempted nexus both have writes in flight. */
const WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;
const [KEY_A, KEY_B] = [0xaan, 0xbbn];
/** Task attributes as the SCSI Command PDU's ATTR field carries them. */
const [WIRE_SIMPLE, WIRE_HEAD_OF_QUEUE] = [1, 3];

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function prOutCdb(action: number, type = 0): Buffer {
  return Buffer.from([0x5f, action, type, 0, 0, 0, 0, 0, 24, 0]);
}

function prOutData(key: bigint, sark: bigint): Buffer {
  const data = Buffer.alloc(24);
  data.writeBigUInt64BE(key, 0);
  data.writeBigUInt64BE(sark, 8);
  return data;
}

/** A PERSISTENT RESERVE OUT with its 24 bytes as immediate data; returns its ITT. */
function prOut(c: TestInitiator, action: number, type: number, key: bigint, sark: bigint, attribute = WIRE_SIMPLE): number {
  return c.command(prOutCdb(action, type), { write: true, expectedLength: 24, immediateData: prOutData(key, sark), attribute });
}

/** The TAS rig with A and B registered (keys AA, BB), B holding WRITE EXCLUSIVE – REGISTRANTS ONLY. */
async function setup(tas: boolean) {
  const rig = await startTasRig(tas, cleanup, IQN);
  const { A, B } = rig;
  expect(await status(A, prOut(A, REGISTER_IGNORE, 0, 0n, KEY_A))).toBe(ScsiStatus.GOOD);
  expect(await status(B, prOut(B, REGISTER_IGNORE, 0, 0n, KEY_B))).toBe(ScsiStatus.GOOD);
  expect(await status(B, prOut(B, RESERVE, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_B, 0n))).toBe(ScsiStatus.GOOD);
  return rig;
}

describe('PREEMPT AND ABORT aborts the preempted nexus tasks that are queued or running', () => {
  it('TAS=0: the preempted tasks end without status; PREEMPT AND ABORT answers only once the running one has left the device', async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await setup(false);
    const ownWrite = await runningWrite(A, 9, 0xaa);
    await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const pa = prOut(A, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_A, KEY_B);
    // B's write is in the device: the PREEMPT AND ABORT waits for it.
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await status(A, pa)).toBe(ScsiStatus.GOOD);
    // The write already in the device could not be undone: it landed, before the GOOD.
    expect(await blockAt(7)).toBe(0xbb);
    // Neither of B's tasks answers; the queued one's late data is discarded.
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    // The sender's own write was not aborted.
    device.open(9);
    expect(await status(A, ownWrite)).toBe(ScsiStatus.GOOD);
    expect(await blockAt(9)).toBe(0xaa);
    // B learns what happened from its unit attentions: REGISTRATIONS PREEMPTED, then COMMANDS CLEARED BY ANOTHER INITIATOR.
    expect(await testUnitReady(B)).toEqual({ status: ScsiStatus.CHECK_CONDITION, asc: 0x2a, ascq: 0x05 });
    expect(await testUnitReady(B)).toEqual({ status: ScsiStatus.CHECK_CONDITION, asc: 0x2f, ascq: 0x00 });
    expect((await testUnitReady(B)).status).toBe(ScsiStatus.GOOD);
  });

  it('TAS=1: each preempted task answers TASK ABORTED, the queued one at once, the running one when it leaves the device, before the GOOD', async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await setup(true);
    const ownWrite = await runningWrite(A, 9, 0xaa);
    const bRunning = await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const pa = prOut(A, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_A, KEY_B);
    expect(await status(B, bQueued.itt)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await status(B, bRunning)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await status(A, pa)).toBe(ScsiStatus.GOOD);
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    device.open(9);
    expect(await status(A, ownWrite)).toBe(ScsiStatus.GOOD);
    expect(await blockAt(9)).toBe(0xaa);
    // Each aborted task told B so itself: its unit attentions hold REGISTRATIONS PREEMPTED only, no COMMANDS CLEARED BY ANOTHER INITIATOR.
    expect(await testUnitReady(B)).toEqual({ status: ScsiStatus.CHECK_CONDITION, asc: 0x2a, ascq: 0x05 });
    expect((await testUnitReady(B)).status).toBe(ScsiStatus.GOOD);
  });

  it('TAS=1: a task waiting in the task set (ORDERED, behind the running write) is aborted without ever running', async () => {
    const { A, B, device, lu, runningWrite, orderedWrite, blockAt } = await setup(true);
    const bRunning = await runningWrite(B, 7, 0xbb);
    const bOrdered = await orderedWrite(B, 10, 0xbb);
    expect(lu.taskSet.live).toBe(2);
    // HEAD OF QUEUE: the PREEMPT AND ABORT does not wait in the task set behind B's ORDERED write.
    const pa = prOut(A, PREEMPT_AND_ABORT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_A, KEY_B, WIRE_HEAD_OF_QUEUE);
    expect(await status(B, bOrdered)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await status(B, bRunning)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await status(A, pa)).toBe(ScsiStatus.GOOD);
    expect(await blockAt(10)).toBe(0);
    expect(lu.taskSet.live).toBe(0);
  });

  it('a plain PREEMPT aborts nothing (TAS=1): it answers at once, and the preempted nexus tasks complete GOOD', async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await setup(true);
    const bRunning = await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const p = prOut(A, PREEMPT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_A, KEY_B);
    expect(await status(A, p)).toBe(ScsiStatus.GOOD);
    bQueued.sendData(0xbb);
    expect(await status(B, bQueued.itt)).toBe(ScsiStatus.GOOD);
    device.open(7);
    expect(await status(B, bRunning)).toBe(ScsiStatus.GOOD);
    expect([await blockAt(7), await blockAt(8)]).toEqual([0xbb, 0xbb]);
  });
});
