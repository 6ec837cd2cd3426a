/**
 * WRITE SCATTERED parameter data comes from a pool: a command answered GOOD gives its buffer
 * back for the next one; a command that failed does not (its bytes may still be queued on a
 * socket), so a later command never writes into memory an earlier one may still send.
 */
import { describe, expect, it } from 'vitest';
import { ScsiCommands } from '../../src/initiator/scsi-commands.js';
import type { CommandRequest, CommandResult } from '../../src/initiator/command-types.js';
import { GatheredData } from '../../src/initiator/data-out.js';

const BLOCK = 4096;

/** Answers READ CAPACITY(16) itself; every other command waits for the test to settle it. */
class HeldCommands extends ScsiCommands {
  readonly sent: Array<{ dataOut: Buffer; gathered: GatheredData | undefined; settle: (r: CommandResult | Error) => void }> = [];

  command(request: CommandRequest): Promise<CommandResult> {
    if (request.cdb[0] === 0x9e) {
      const d = Buffer.alloc(32);
      d.writeUInt32BE(1023, 4);
      d.writeUInt32BE(BLOCK, 8);
      return Promise.resolve({ status: 0, dataIn: d, residual: 0, residualOverflow: false });
    }
    return new Promise((resolve, reject) => {
      const out = request.dataOut!;
      const gathered = out instanceof GatheredData ? out : undefined;
      // The descriptors: the whole buffer, or a gather list's first piece.
      this.sent.push({ dataOut: gathered ? gathered.pieces[0]! : (out as Buffer), gathered, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  }
}

const GOOD: CommandResult = { status: 0, residual: 0, residualOverflow: false };
const writes = (fill: number) => [0, 7, 3].map((lba) => ({ lba, data: Buffer.alloc(BLOCK, fill + lba) }));

async function issue(c: HeldCommands, fill: number, gather = false, data = writes(fill)): Promise<HeldCommands['sent'][number] & { done: Promise<void> }> {
  const done = c.writeScattered(0, data, { gather });
  while (c.sent.length === 0) await Promise.resolve();
  return { ...c.sent.shift()!, done };
}

describe('WRITE SCATTERED parameter data', () => {
  it('reuses the buffer of a command answered GOOD', async () => {
    const c = new HeldCommands();
    const first = await issue(c, 1);
    first.settle(GOOD);
    await first.done;
    const second = await issue(c, 2);
    expect(second.dataOut.buffer).toBe(first.dataOut.buffer);
    // The reused buffer carries the second command's descriptors and data, none of the first's.
    expect(second.dataOut.readUInt32BE(32 + 4)).toBe(0);
    expect(second.dataOut.readUInt32BE(64 + 4)).toBe(7);
    expect(second.dataOut.subarray(BLOCK, 2 * BLOCK).every((b) => b === 2)).toBe(true);
    expect(second.dataOut.subarray(2 * BLOCK, 3 * BLOCK).every((b) => b === 9)).toBe(true);
    second.settle(GOOD);
    await second.done;
  });

  it('never reuses the buffer of a command still in flight or one that failed', async () => {
    const c = new HeldCommands();
    const inFlight = await issue(c, 1);
    const failed = await issue(c, 2);
    expect(failed.dataOut.buffer).not.toBe(inFlight.dataOut.buffer);
    failed.settle(new Error('connection lost'));
    await expect(failed.done).rejects.toThrow('connection lost');
    const checked = await issue(c, 3);
    checked.settle({ status: 2, residual: 0, residualOverflow: false, sense: { key: 5, asc: 0x24, ascq: 0 } as CommandResult['sense'] });
    await expect(checked.done).rejects.toThrow();
    const next = await issue(c, 4);
    for (const earlier of [inFlight, failed, checked]) expect(next.dataOut.buffer).not.toBe(earlier.dataOut.buffer);
    // The one in flight still holds its own bytes.
    expect(inFlight.dataOut.subarray(BLOCK, 2 * BLOCK).every((b) => b === 1)).toBe(true);
    inFlight.settle(GOOD);
    next.settle(GOOD);
    await Promise.all([inFlight.done, next.done]);
  });

  it('gathered, sends the writes\' own buffers after its descriptors, and reuses only the descriptors\' buffer', async () => {
    const c = new HeldCommands();
    const data = writes(5);
    const first = await issue(c, 5, true, data);
    expect(first.gathered!.pieces.slice(1)).toEqual(data.map((w) => w.data));
    for (const [i, w] of data.entries()) expect(first.gathered!.pieces[i + 1]).toBe(w.data);
    expect(first.gathered!.length).toBe(BLOCK + 3 * BLOCK);
    expect(first.dataOut.readUInt32BE(64 + 4)).toBe(7);
    first.settle(GOOD);
    await first.done;
    const failed = await issue(c, 6, true);
    expect(failed.dataOut.buffer).toBe(first.dataOut.buffer);
    failed.settle(new Error('connection lost'));
    await expect(failed.done).rejects.toThrow('connection lost');
    const next = await issue(c, 7, true);
    expect(next.dataOut.buffer).not.toBe(failed.dataOut.buffer);
    next.settle(GOOD);
    await next.done;
  });
});
