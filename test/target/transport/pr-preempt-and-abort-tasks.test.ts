/**
 * PERSISTENT RESERVE OUT / PREEMPT AND ABORT through the transport (SPC-4 r37 §5.13.11.2.4,
 * SAM-5 §5.6): the preempted nexus's tasks on the LU are aborted as ABORT TASK SET aborts
 * them — one waiting for its Data-Out ends at once, one already in the block device cannot be
 * undone and is waited for — and the PREEMPT AND ABORT answers GOOD only after they ended.
 * With the Control page's TAS=0 they end without status; with TAS=1 each answers TASK
 * ABORTED. The sender's own commands are untouched, and a plain PREEMPT aborts nothing.
 *
 * Real ScsiTarget and LogicalUnit behind an IscsiServer; two initiator ports (A sends the
 * PREEMPT AND ABORT, B is preempted); writes are held in the device by gates the test opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../src/scsi/scsi-target.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { IscsiServer } from '../../../src/target/server.js';
import { fakeNegotiatorFactory } from './helpers/fake-negotiator.js';
import { TestInitiator, write10 } from './helpers/test-initiator.js';

const IQN = 'iqn.2026-01.test:preempt-and-abort';
const BLOCK = 512;
const [REGISTER_IGNORE, RESERVE, PREEMPT, PREEMPT_AND_ABORT] = [6, 1, 4, 5];
/** Every registrant may write: the sender and the preempted nexus both have writes in flight. */
const WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;
const [KEY_A, KEY_B] = [0xaan, 0xbbn];
/** Task attributes as the SCSI Command PDU's ATTR field carries them. */
const [WIRE_SIMPLE, WIRE_ORDERED, WIRE_HEAD_OF_QUEUE] = [1, 2, 3];

/** A memory store whose writes at gated offsets wait until the test opens their gate. */
class GatedStore extends MemoryBlockStore {
  private readonly gates = new Map<number, { opened: Promise<void>; open: () => void }>();
  /** Writes that reached the device and wait at their gate, by LBA. */
  readonly waiting = new Set<number>();

  gate(lba: number): void {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(lba * BLOCK, { opened, open });
  }

  open(lba: number): void {
    this.gates.get(lba * BLOCK)?.open();
  }

  override async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    const gate = this.gates.get(offset);
    if (gate) {
      this.waiting.add(offset / BLOCK);
      await gate.opened;
    }
    return super.write(buf, offset, fua);
  }
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Waits (bounded) until `until` holds: what the test sent crosses a real socket first. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; !until() && i < 10_000; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

function prOutCdb(action: number, type = 0): Buffer {
  return Buffer.from([0x5f, action, type, 0, 0, 0, 0, 0, 24, 0]);
}

function prOutData(key: bigint, sark: bigint): Buffer {
  const data = Buffer.alloc(24);
  data.writeBigUInt64BE(key, 0);
  data.writeBigUInt64BE(sark, 8);
  return data;
}

/**
 * A NOP-Out round trip: the target handles a connection's PDUs in order, so once the echo is
 * back everything sent before it has reached the SCSI layer.
 */
async function sync(c: TestInitiator): Promise<void> {
  const itt = c.nopOut(Buffer.from('sync'));
  expect((await c.expect('nop-in')).pdu.itt).toBe(itt);
}

async function status(c: TestInitiator, itt: number): Promise<number> {
  const r = await c.expect('scsi-response');
  expect(r.pdu.itt).toBe(itt);
  return r.pdu.status;
}

/** A PERSISTENT RESERVE OUT with its 24 bytes as immediate data; returns its ITT. */
function prOut(c: TestInitiator, action: number, type: number, key: bigint, sark: bigint, attribute = WIRE_SIMPLE): number {
  return c.command(prOutCdb(action, type), { write: true, expectedLength: 24, immediateData: prOutData(key, sark), attribute });
}

async function testUnitReady(c: TestInitiator): Promise<number> {
  const itt = c.command(Buffer.alloc(6), { expectedLength: 0 });
  return status(c, itt);
}

/** Takes the unit attentions pending for the nexus: TEST UNIT READY until GOOD. */
async function clearUnitAttentions(c: TestInitiator): Promise<void> {
  for (let i = 0; i < 8; i++) if ((await testUnitReady(c)) === ScsiStatus.GOOD) return;
  throw new Error('unit attentions did not clear');
}

/**
 * A and B registered (keys AA, BB), B holding WRITE EXCLUSIVE – REGISTRANTS ONLY; the
 * Control page's TAS set by MODE SELECT when `tas`.
 */
async function setup(tas: boolean) {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-pr-abort-'));
  cleanup.push(() => rmSync(metaDir, { recursive: true, force: true }));
  const device = new GatedStore({ size: 64 * BLOCK });
  const lu = await LogicalUnit.create({ lun: 0, targetName: IQN, device, blockSize: BLOCK, metaDir });
  const scsi = new ScsiTarget(IQN, [lu]);
  const server = new IscsiServer({
    targets: [{ config: { iqn: IQN, allow: [] }, scsi }],
    portals: [{ host: '127.0.0.1', port: 0 }],
    negotiatorFactory: fakeNegotiatorFactory(),
    nopInterval: 0,
    logger: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  });
  const [addr] = await server.listen();
  cleanup.push(() => server.close());
  cleanup.push(() => scsi.close());
  const connect = async (isid: number) => {
    const c = await TestInitiator.connect(addr!.port);
    cleanup.push(() => c.close());
    await c.login({ target: IQN, isid: Buffer.from([0x40, 0, 0, 0, 0, isid]) });
    return c;
  };
  const [A, B] = [await connect(1), await connect(2)];
  expect(await status(A, prOut(A, REGISTER_IGNORE, 0, 0n, KEY_A))).toBe(ScsiStatus.GOOD);
  expect(await status(B, prOut(B, REGISTER_IGNORE, 0, 0n, KEY_B))).toBe(ScsiStatus.GOOD);
  expect(await status(B, prOut(B, RESERVE, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, KEY_B, 0n))).toBe(ScsiStatus.GOOD);
  if (tas) {
    // MODE SELECT(6), PF: the Control mode page with TAS (byte 5 bit 6) set.
    const list = Buffer.from([0, 0, 0, 0, 0x0a, 0x0a, 0x00, 0x10, 0x00, 0x40, 0, 0, 0, 0, 0, 0]);
    const itt = A.command(Buffer.from([0x15, 0x10, 0, 0, list.length, 0]), { write: true, expectedLength: list.length, immediateData: list });
    expect(await status(A, itt)).toBe(ScsiStatus.GOOD);
    expect(lu.modePages.taskAbortedStatus()).toBe(true);
    await clearUnitAttentions(B); // MODE PARAMETERS CHANGED
  }

  /** A WRITE(10) of one block that reaches the device and waits there at its gate; returns its ITT. */
  const runningWrite = async (c: TestInitiator, lba: number, fill: number) => {
    device.gate(lba);
    const itt = c.command(write10(lba, 1), { write: true, expectedLength: BLOCK });
    const r2t = await c.expect('r2t');
    c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(BLOCK, fill), true);
    await settle(() => device.waiting.has(lba));
    expect(device.waiting.has(lba)).toBe(true);
    return itt;
  };
  /** An ORDERED WRITE(10) of one block with all its data in, waiting in the task set behind the older tasks. */
  const orderedWrite = async (c: TestInitiator, lba: number, fill: number) => {
    const itt = c.command(write10(lba, 1), { write: true, expectedLength: BLOCK, attribute: WIRE_ORDERED });
    const r2t = await c.expect('r2t');
    c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(BLOCK, fill), true);
    await sync(c);
    return itt;
  };
  /** A WRITE(10) of one block whose R2T came and whose Data-Out is not sent yet. */
  const queuedWrite = async (c: TestInitiator, lba: number) => {
    const itt = c.command(write10(lba, 1), { write: true, expectedLength: BLOCK });
    const r2t = await c.expect('r2t');
    return { itt, sendData: (fill: number) => c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(BLOCK, fill), true) };
  };
  const blockAt = async (lba: number) => {
    const b = Buffer.alloc(BLOCK);
    await device.read(b, lba * BLOCK);
    return b[0];
  };
  return { A, B, device, lu, runningWrite, queuedWrite, orderedWrite, blockAt };
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
    expect(await testUnitReady(B)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await testUnitReady(B)).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await testUnitReady(B)).toBe(ScsiStatus.GOOD);
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
