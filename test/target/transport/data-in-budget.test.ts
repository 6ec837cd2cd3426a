/**
 * A peer that stops reading its socket: the connection's Data-In budget, not the peer's
 * queue of READs, decides how many answers exist at once; once it reads again every READ
 * is answered with its own data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { IscsiServer } from '../../../src/target/server.js';
import { DATA_IN_BUDGET_BYTES, MIN_BUFFER_MEMORY_BYTES } from '../../../src/target/transport-limits.js';
import { ByteBudget } from '../../../src/target/byte-budget.js';
import { MemoryConnection, readCommand, wire } from './helpers/memory-connection.js';
import { ScsiStatus, type PreparedCommand, type ScsiRequest } from '../../../src/scsi/types.js';
import { TmfFunction } from '../../../src/iscsi/pdu/opcodes.js';
import { BLOCK, FakeScsi } from './helpers/fake-scsi.js';
import { fakeNegotiatorFactory } from './helpers/fake-negotiator.js';
import { TestInitiator } from './helpers/test-initiator.js';

const MiB = 1024 * 1024;
const READ_BYTES = 8 * MiB;
/** What the kernel's socket buffers on both ends of a loopback connection may take in (generous). */
const KERNEL_SLACK_BYTES = 32 * MiB;

/** READ(10) and READ(16) answer their blocks filled with the LBA's low byte, declaring their size as a READ does. */
class LargeReads extends FakeScsi {
  runs = 0;

  override prepare(req: ScsiRequest): PreparedCommand {
    const cdb = req.cdb;
    if (cdb[0] !== 0x88 && cdb[0] !== 0x28) return super.prepare(req);
    const lba = cdb[0] === 0x88 ? Number(cdb.readBigUInt64BE(2)) : cdb.readUInt32BE(2);
    const bytes = (cdb[0] === 0x88 ? cdb.readUInt32BE(10) : cdb.readUInt16BE(7)) * BLOCK;
    return {
      dataOutLength: 0,
      dataInLength: bytes,
      run: async () => {
        this.runs++;
        return { status: ScsiStatus.GOOD, dataIn: Buffer.alloc(bytes, lba & 0xff) };
      },
    };
  }
}

function read16(lba: number, bytes: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x88;
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb.writeUInt32BE(bytes / BLOCK, 10);
  return cdb;
}

async function quiet(scsi: LargeReads): Promise<void> {
  // Until the runs stop growing: the bound below holds at every moment, so stopping early only weakens the check.
  for (let last = -1; last !== scsi.runs; ) {
    last = scsi.runs;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let server: IscsiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ scsi: LargeReads; port: number }> {
  const scsi = new LargeReads();
  server = new IscsiServer({
    targets: [{ config: { iqn: scsi.name, allow: [] }, scsi }],
    portals: [{ host: '127.0.0.1', port: 0 }],
    negotiatorFactory: fakeNegotiatorFactory({ maxSendDataSegmentLength: 256 * 1024, maxBurstLength: MiB }),
    nopInterval: 0,
    logger: pino({ level: 'silent' }),
  });
  const [addr] = await server.listen();
  return { scsi, port: addr!.port };
}

describe('Data-In memory when the initiator stops reading', () => {
  it('runs only the READs the budget holds, and answers all of them once the initiator reads again', async () => {
    const { scsi, port } = await start();
    const c = await TestInitiator.connect(port);
    await c.login();
    c.socket.pause();
    const reads = 40;
    const itts = new Map<number, number>();
    for (let i = 0; i < reads; i++) itts.set(c.command(read16(i, READ_BYTES), { read: true, expectedLength: READ_BYTES }), i);
    await quiet(scsi);
    // 320 MiB asked for; answers in memory stay within the budget (and what the kernel took off our hands).
    expect(scsi.runs).toBeGreaterThan(0);
    expect(scsi.runs * READ_BYTES).toBeLessThanOrEqual(DATA_IN_BUDGET_BYTES + KERNEL_SLACK_BYTES);
    expect(scsi.runs).toBeLessThan(reads);

    c.socket.resume();
    const received = new Map<number, number>();
    let good = 0;
    while (good < reads) {
      const p = await c.next();
      if (!p) throw new Error(`only ${good} of ${reads} READs answered`);
      if (p.kind !== 'data-in') continue;
      const lba = itts.get(p.pdu.itt)!;
      expect(p.data.every((b) => b === (lba & 0xff))).toBe(true);
      received.set(lba, (received.get(lba) ?? 0) + p.data.length);
      if (p.pdu.statusPresent) {
        expect(p.pdu.status).toBe(ScsiStatus.GOOD);
        good++;
      }
    }
    for (let i = 0; i < reads; i++) expect(received.get(i)).toBe(READ_BYTES);
    expect(scsi.runs).toBe(reads);
    c.close();
  });

  it('a READ waiting for room and aborted by task management never runs', async () => {
    const { scsi, port } = await start();
    const c = await TestInitiator.connect(port);
    await c.login();
    c.socket.pause();
    const reads = 20;
    const itts: number[] = [];
    for (let i = 0; i < reads; i++) itts.push(c.command(read16(i, READ_BYTES), { read: true, expectedLength: READ_BYTES }));
    await quiet(scsi);
    const ranBefore = scsi.runs;
    expect(ranBefore).toBeLessThan(reads);
    const last = itts[reads - 1]!;
    const cmdSN = c.cmdSN - 1;
    const tmfItt = c.tmf(TmfFunction.ABORT_TASK, last, cmdSN);

    c.socket.resume();
    let good = 0;
    let tmfResponse: number | undefined;
    while (good < reads - 1 || tmfResponse === undefined) {
      const p = await c.next();
      if (!p) throw new Error(`only ${good} READs answered, task management ${tmfResponse === undefined ? 'unanswered' : 'answered'}`);
      if (p.kind === 'task-mgmt-response' && p.pdu.itt === tmfItt) tmfResponse = p.pdu.response;
      if (p.kind === 'data-in' && p.pdu.statusPresent) {
        expect(p.pdu.itt).not.toBe(last);
        good++;
      }
    }
    expect(tmfResponse).toBe(0);
    expect(await c.next(300)).toBeUndefined();
    expect(scsi.runs).toBe(reads - 1);
    c.close();
  });

  it('connections share the server-wide buffer memory: one that stopped reading holds back another until it reads', async () => {
    const shared = new ByteBudget(MIN_BUFFER_MEMORY_BYTES);
    const params = { maxSendDataSegmentLength: 256 * 1024, maxBurstLength: MiB };
    const stalledPort = new LargeReads();
    const readingPort = new LargeReads();
    const stalled = new MemoryConnection(params, stalledPort, { bufferMemory: shared });
    const reading = new MemoryConnection(params, readingPort, { bufferMemory: shared });
    const settle = async () => {
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    const answered = (c: MemoryConnection) => c.output().filter((o) => o.kind === 'data-in' && o.pdu.statusPresent).length;
    const blocks = READ_BYTES / BLOCK;
    const fits = MIN_BUFFER_MEMORY_BYTES / READ_BYTES;
    stalled.stallOutput();
    for (let i = 0; i < fits + 2; i++) stalled.push(wire(readCommand(i + 1, i + 1, i, blocks, BLOCK), Buffer.alloc(0), false));
    await settle();
    expect(stalledPort.runs).toBe(fits);

    reading.push(wire(readCommand(1, 1, 0, blocks, BLOCK), Buffer.alloc(0), false));
    await settle();
    expect(readingPort.runs).toBe(0);
    expect(answered(reading)).toBe(0);

    stalled.resumeOutput();
    await settle();
    expect(readingPort.runs).toBe(1);
    expect(answered(reading)).toBe(1);
    expect(answered(stalled)).toBe(fits + 2);
    expect(shared.free).toBe(MIN_BUFFER_MEMORY_BYTES);
  });
});
