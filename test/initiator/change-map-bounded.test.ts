/**
 * READ CHANGE MAP is read only as far as the reader's own volume needs: the size the peer
 * claims for its map sizes no read and no buffer. A peer claiming an enormous map (bogus, or
 * a backup grown before its primary) is read no further than the reader's chunks; a map of
 * the reader's size is read whole, in as many slices as it takes.
 */
import { describe, expect, it } from 'vitest';
import { ScsiCommands } from '../../src/initiator/scsi-commands.js';
import { readChangeMap } from '../../src/initiator/replication-peer.js';
import type { CommandRequest, CommandResult } from '../../src/initiator/command-types.js';
import { CHANGE_MAP_HEADER_BYTES, READ_CHANGE_MAP_OPCODE, encodeChangeMapData } from '../../src/replica-protocol/index.js';

const MIB = 1024 * 1024;
/** More than any test here needs: a reader that goes on past it buffers what the peer claims. */
const SERVED_LIMIT = 8 * MIB;

const bitmapByte = (i: number): number => (i * 31 + 7) & 0xff;

/** A peer whose map claims `chunkCount` chunks; it makes up only the bytes each command asks for. */
class ClaimingPeer extends ScsiCommands {
  served = 0;
  readonly asked: Array<{ start: number; allocation: number }> = [];

  constructor(private readonly chunkCount: number) {
    super();
  }

  command(request: CommandRequest): Promise<CommandResult> {
    expect(request.cdb[0]).toBe(READ_CHANGE_MAP_OPCODE);
    const start = Number(request.cdb.readBigUInt64BE(2));
    const allocation = request.cdb.readUInt32BE(10);
    this.asked.push({ start, allocation });
    const totalBytes = Math.ceil(this.chunkCount / 8);
    const length = Math.max(0, Math.min(allocation - CHANGE_MAP_HEADER_BYTES, totalBytes - start));
    this.served += length;
    if (this.served > SERVED_LIMIT) throw new Error(`the reader took ${this.served} bytes of a map it cannot need`);
    const bits = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bits[i] = bitmapByte(start + i);
    const dataIn = encodeChangeMapData({ base: 5n, chunkSize: 65536, chunkCount: this.chunkCount, totalBytes, bits }, allocation);
    return Promise.resolve({ status: 0, dataIn, residual: 0, residualOverflow: false });
  }
}

const expected = (bytes: number): Buffer => Buffer.from(Array.from({ length: bytes }, (_, i) => bitmapByte(i)));

describe('readChangeMap', () => {
  it('reads a huge claimed map only as far as the local chunks, asking for no more', async () => {
    const peer = new ClaimingPeer(2 ** 43); // 1 TiB of bitmap claimed
    const map = await readChangeMap(peer, 0, 1000);
    expect(map.totalBytes).toBe(2 ** 40);
    expect(map.bits.equals(expected(125))).toBe(true);
    expect(peer.served).toBe(125);
    expect(peer.asked).toEqual([{ start: 0, allocation: CHANGE_MAP_HEADER_BYTES + 125 }]);
  });

  it('reads a larger peer map in slices up to the local chunks', async () => {
    const peer = new ClaimingPeer(4 * MIB * 8);
    const map = await readChangeMap(peer, 0, 1.5 * MIB * 8);
    expect(map.bits.equals(expected(1.5 * MIB))).toBe(true);
    expect(peer.asked.map((a) => a.start)).toEqual([0, MIB]);
    expect(peer.served).toBe(1.5 * MIB);
  });

  it('reads a map of the local size whole, across slices', async () => {
    const chunks = 3 * MIB * 8 + 5;
    const peer = new ClaimingPeer(chunks);
    const map = await readChangeMap(peer, 0, chunks);
    expect(map).toMatchObject({ base: 5n, chunkSize: 65536, chunkCount: chunks, totalBytes: 3 * MIB + 1 });
    expect(map.bits.equals(expected(3 * MIB + 1))).toBe(true);
    expect(peer.asked.map((a) => a.start)).toEqual([0, MIB, 2 * MIB, 3 * MIB]);
  });

  it('reads a smaller peer map whole', async () => {
    const map = await readChangeMap(new ClaimingPeer(80), 0, 1000);
    expect(map.bits.equals(expected(10))).toBe(true);
  });
});
