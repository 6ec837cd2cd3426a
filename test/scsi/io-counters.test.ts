/**
 * Each LU counts what it served for the metrics endpoint: commands and their busy time by
 * kind, the bytes of reads and writes that succeeded, commands that ran and failed, and
 * commands refused before running. Counted through the target as commands settle.
 */
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { read10, rig, write10 } from './helpers.js';

describe('per-LU I/O counters', () => {
  it('count reads, writes and other commands, their bytes, failures and refusals', async () => {
    const r = await rig({ blocks: 1024 });
    const before = { ...r.lu.io.commands };
    expect((await r.exec(write10(8, 4), Buffer.alloc(4 * 512, 7))).status).toBe(0);
    expect((await r.exec(write10(100, 1), Buffer.alloc(512, 7))).status).toBe(0);
    expect((await r.exec(read10(8, 2))).status).toBe(0);
    expect((await r.exec([0x00])).status).toBe(0); // TEST UNIT READY
    expect((await r.exec([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0])).status).toBe(0); // SYNCHRONIZE CACHE(10)
    // Refused before running: beyond the medium, and an opcode the target lacks.
    expect((await r.exec(read10(1024, 1))).status).toBe(2);
    expect((await r.exec([0xff])).status).toBe(2);
    // Ran and failed in the store.
    r.store.read = () => Promise.reject(new BlockIoError('EIO', 5, 'injected'));
    expect((await r.exec(read10(0, 8))).status).toBe(2);

    const io = r.lu.io;
    expect({ read: io.commands.read, write: io.commands.write, other: io.commands.other - before.other }).toEqual({ read: 2, write: 2, other: 2 });
    expect(io.readBytes).toBe(2 * 512);
    expect(io.writeBytes).toBe(5 * 512);
    expect(io.failed).toBe(1);
    expect(io.refused).toBe(2);
    for (const kind of ['read', 'write', 'other'] as const) expect(io.busyMs[kind]).toBeGreaterThanOrEqual(0);
  });
});
