/**
 * A peer that stops reading and keeps sending commands: once the socket holds more than
 * MAX_UNSENT_OUTPUT_BYTES unsent, its commands wait to run (whatever their answers' size,
 * declared or not), and run once the socket has drained; and the socket stops being read
 * (what a ping or any immediate PDU would add waits unread).
 */
import { describe, expect, it } from 'vitest';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { RESERVED_TAG } from '../../../src/iscsi/pdu/opcodes.js';
import { MAX_UNSENT_OUTPUT_BYTES } from '../../../src/target/transport-limits.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, readCommand, wire } from './helpers/memory-connection.js';

const MiB = 1024 * 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('unsent output holds back the commands of a peer that stopped reading', () => {
  it('runs no more commands once the unsent bytes pass the bound, and the rest once they are sent', async () => {
    // The fake READ(10) does not declare its answer's size: only the socket's backlog can hold it back.
    const c = new MemoryConnection({ maxSendDataSegmentLength: 256 * 1024, maxBurstLength: MiB });
    const blocks = MiB / BLOCK;
    const reads = Math.ceil(MAX_UNSENT_OUTPUT_BYTES / MiB) + 20;
    c.stallOutput();
    // One at a time, each answered (into the backlog) before the next arrives.
    for (let i = 0; i < reads; i++) {
      c.push(wire(readCommand(i + 1, i + 1, 0, blocks, BLOCK), Buffer.alloc(0), false));
      await settle();
    }
    const answered = () => c.output().filter((o) => o.kind === 'data-in' && o.pdu.statusPresent).length;
    // Each command checks the backlog before it runs: the one whose answer passes the bound is the last.
    const answerBytes = MiB + (MiB / (256 * 1024)) * 48;
    expect(answered()).toBe(Math.floor(MAX_UNSENT_OUTPUT_BYTES / answerBytes) + 1);

    c.resumeOutput();
    await settle();
    expect(answered()).toBe(reads);
  });
});

describe('a peer that stops reading stops being read', () => {
  it('pings with data are echoed until the unsent bytes pass the bound, then wait unread until the socket drains', async () => {
    const segment = 256 * 1024;
    const c = new MemoryConnection({ maxRecvDataSegmentLength: segment, maxSendDataSegmentLength: segment });
    const pings = Math.ceil(MAX_UNSENT_OUTPUT_BYTES / segment) + 40;
    const data = Buffer.alloc(segment, 0x5a);
    c.stallOutput();
    for (let i = 0; i < pings; i++) {
      c.push(wire(encodeNopOut({ immediate: true, lun: 0n, itt: i + 1, ttt: RESERVED_TAG, cmdSN: 1, expStatSN: 1 }, segment), data, false));
      await settle();
    }
    const echoes = () => c.output().filter((o) => o.kind === 'nop-in');
    // A NOP-Out is immediate (no CmdSN window bounds them): only the unread socket holds them back.
    // Echoes until one passes the bound; the ping that finds it passed is still answered, and reading stops there.
    const echo = segment + 48;
    expect(echoes()).toHaveLength(Math.floor(MAX_UNSENT_OUTPUT_BYTES / echo) + 2);
    expect(c.readingPaused).toBe(true);

    c.resumeOutput();
    await settle();
    expect(c.readingPaused).toBe(false);
    expect(echoes()).toHaveLength(pings);
    expect(echoes().every((e) => e.data.equals(data))).toBe(true);
  });
});
