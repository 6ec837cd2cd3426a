/**
 * A real ScsiTarget and LogicalUnit behind an IscsiServer, two initiator ports (A and B)
 * logged in, writes held in the device by gates the test opens, and the Control mode
 * page's TAS set by MODE SELECT when asked: for what task management does to the tasks of
 * the sender's and of other I_T nexuses (SAM-5 §5.6, SPC-4 Control mode page TAS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect } from 'vitest';
import { MemoryBlockStore } from '../../../../src/block/memory-store.js';
import { LogicalUnit } from '../../../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../../../src/scsi/scsi-target.js';
import { ScsiStatus, TmfResponse } from '../../../../src/scsi/types.js';
import { IscsiServer } from '../../../../src/target/server.js';
import { fakeNegotiatorFactory } from './fake-negotiator.js';
import { TestInitiator, write10 } from './test-initiator.js';

export const BLOCK = 512;
/** Task attributes as the SCSI Command PDU's ATTR field carries them. */
export const WIRE_ORDERED = 2;
/** Task management function codes (RFC 7143 §11.5.1). */
export const Tmf = { ABORT_TASK_SET: 2, CLEAR_TASK_SET: 4, LOGICAL_UNIT_RESET: 5, TARGET_WARM_RESET: 6 } as const;

/** A memory store whose writes at gated offsets wait until the test opens their gate. */
export class GatedStore extends MemoryBlockStore {
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

/** Waits (bounded) until `until` holds: what the test sent crosses a real socket first. */
export async function settleUntil(until: () => boolean): Promise<void> {
  for (let i = 0; !until() && i < 10_000; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * A NOP-Out round trip: the target handles a connection's PDUs in order, so once the echo is
 * back everything sent before it has reached the SCSI layer.
 */
export async function sync(c: TestInitiator): Promise<void> {
  const itt = c.nopOut(Buffer.from('sync'));
  expect((await c.expect('nop-in')).pdu.itt).toBe(itt);
}

export async function status(c: TestInitiator, itt: number): Promise<number> {
  const r = await c.expect('scsi-response');
  expect(r.pdu.itt).toBe(itt);
  return r.pdu.status;
}

export async function tmfResponse(c: TestInitiator, itt: number): Promise<number> {
  const r = await c.expect('task-mgmt-response');
  expect(r.pdu.itt).toBe(itt);
  return r.pdu.response;
}

export async function testUnitReady(c: TestInitiator): Promise<{ status: number; asc?: number; ascq?: number }> {
  const itt = c.command(Buffer.alloc(6), { expectedLength: 0 });
  const r = await c.expect('scsi-response');
  expect(r.pdu.itt).toBe(itt);
  const sense = r.data.length >= 2 + 14 ? r.data.subarray(2) : undefined;
  return { status: r.pdu.status, ...(sense ? { asc: sense[12]!, ascq: sense[13]! } : {}) };
}

/** Takes the unit attentions pending for the nexus: TEST UNIT READY until GOOD. */
export async function clearUnitAttentions(c: TestInitiator): Promise<void> {
  for (let i = 0; i < 8; i++) if ((await testUnitReady(c)).status === ScsiStatus.GOOD) return;
  throw new Error('unit attentions did not clear');
}

export type TasRig = Awaited<ReturnType<typeof startTasRig>>;

/** The rig; `cleanup` collects what the test's afterEach undoes. */
export async function startTasRig(tas: boolean, cleanup: Array<() => Promise<void> | void>, iqn = 'iqn.2026-01.test:tas') {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-tas-'));
  cleanup.push(() => rmSync(metaDir, { recursive: true, force: true }));
  const device = new GatedStore({ size: 64 * BLOCK });
  const lu = await LogicalUnit.create({ lun: 0, targetName: iqn, device, blockSize: BLOCK, metaDir });
  const scsi = new ScsiTarget(iqn, [lu]);
  const server = new IscsiServer({
    targets: [{ config: { iqn, allow: [] }, scsi }],
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
    await c.login({ target: iqn, isid: Buffer.from([0x40, 0, 0, 0, 0, isid]) });
    return c;
  };
  const [A, B] = [await connect(1), await connect(2)];
  if (tas) {
    // MODE SELECT(6), PF: the Control mode page with TAS (byte 5 bit 6) set.
    const list = Buffer.from([0, 0, 0, 0, 0x0a, 0x0a, 0x00, 0x10, 0x00, 0x40, 0, 0, 0, 0, 0, 0]);
    const itt = A.command(Buffer.from([0x15, 0x10, 0, 0, list.length, 0]), { write: true, expectedLength: list.length, immediateData: list });
    expect(await status(A, itt)).toBe(ScsiStatus.GOOD);
    expect(lu.modePages.taskAbortedStatus()).toBe(true);
  }
  // Power on (both), MODE PARAMETERS CHANGED (B): taken now, so what the test sees is its own.
  await clearUnitAttentions(A);
  await clearUnitAttentions(B);

  /** A WRITE(10) of one block that reaches the device and waits there at its gate; returns its ITT. */
  const runningWrite = async (c: TestInitiator, lba: number, fill: number) => {
    device.gate(lba);
    const itt = c.command(write10(lba, 1), { write: true, expectedLength: BLOCK });
    const r2t = await c.expect('r2t');
    c.dataOut(itt, r2t.pdu.ttt, 0, 0, Buffer.alloc(BLOCK, fill), true);
    await settleUntil(() => device.waiting.has(lba));
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
  return { A, B, server, device, lu, runningWrite, queuedWrite, orderedWrite, blockAt };
}

/**
 * The scenario CLEAR TASK SET, LOGICAL UNIT RESET and TARGET WARM RESET share (SAM-5 §5.6):
 * A has a write in the device (block 9), B one in the device (7) and one queued (8); A sends
 * `fn`. Every task ends; B's answer TASK ABORTED only with TAS=1, A's never; FUNCTION
 * COMPLETE comes once nothing runs (what was in the device landed, the queued write never
 * ran). Returns both ports for the unit attentions each function leaves.
 */
export async function everyTaskAborted(fn: number, tas: boolean, cleanup: Array<() => Promise<void> | void>): Promise<{ A: TestInitiator; B: TestInitiator }> {
  const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(tas, cleanup);
  await runningWrite(A, 9, 0xaa);
  const bRunning = await runningWrite(B, 7, 0xbb);
  const bQueued = await queuedWrite(B, 8);

  const tmf = A.tmf(fn);
  if (tas) expect(await status(B, bQueued.itt)).toBe(ScsiStatus.TASK_ABORTED);
  expect(await A.next(200)).toBeUndefined();
  device.open(7);
  if (tas) expect(await status(B, bRunning)).toBe(ScsiStatus.TASK_ABORTED);
  expect(await A.next(200)).toBeUndefined();
  device.open(9);
  // The sender's own write answers nothing: the TMF response is the next thing A gets.
  expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
  expect([await blockAt(7), await blockAt(9)]).toEqual([0xbb, 0xaa]);
  bQueued.sendData(0xbb);
  expect(await B.next(200)).toBeUndefined();
  expect(await blockAt(8)).toBe(0);
  expect(await A.next(200)).toBeUndefined();
  return { A, B };
}
