/**
 * readChangeMap buffers the peer's change map up to the size the peer claims: a claim larger
 * than the peer's volume can have (one bit per chunk of its READ CAPACITY size) is refused
 * after the first slice, before more is read or buffered.
 */
import { describe, expect, it } from 'vitest';
import type { CommandRequest, CommandResult } from '../../src/initiator/command-types.js';
import { readChangeMap } from '../../src/initiator/replication-peer.js';
import { ScsiCommands } from '../../src/initiator/scsi-commands.js';
import { READ_CHANGE_MAP_OPCODE, encodeChangeMapData } from '../../src/replica-protocol/index.js';

const BLOCK = 512;
const CHUNK = 64 * 1024;

/** A peer LU of `volumeBytes` whose C6h header claims `chunkCount` chunks (bits all set). */
class FakePeer extends ScsiCommands {
  mapCommands = 0;

  constructor(
    private readonly volumeBytes: number,
    private readonly chunkCount: number,
    private readonly chunkSize = CHUNK,
  ) {
    super();
  }

  command(request: CommandRequest): Promise<CommandResult> {
    const good = (dataIn: Buffer): Promise<CommandResult> => Promise.resolve({ status: 0, dataIn, residual: 0, residualOverflow: false });
    if (request.cdb[0] === 0x9e) {
      const d = Buffer.alloc(32);
      d.writeBigUInt64BE(BigInt(this.volumeBytes / BLOCK - 1), 0);
      d.writeUInt32BE(BLOCK, 8);
      return good(d);
    }
    if (request.cdb[0] !== READ_CHANGE_MAP_OPCODE) throw new Error(`unexpected opcode ${request.cdb[0]}`);
    this.mapCommands++;
    const start = Number(request.cdb.readBigUInt64BE(2));
    const allocation = request.cdb.readUInt32BE(10);
    const totalBytes = Math.ceil(this.chunkCount / 8);
    const bits = Buffer.alloc(Math.max(0, Math.min(totalBytes - start, allocation - 32)), 0xff);
    return good(encodeChangeMapData({ base: 7n, chunkSize: this.chunkSize, chunkCount: this.chunkCount, totalBytes, bits }, allocation));
  }
}

describe('reading the peer change map', () => {
  it('refuses a map larger than the peer volume can have, after one slice', async () => {
    // A 1 MiB volume has 16 chunks (2 bitmap bytes); the peer claims 8 MiB of bitmap.
    const peer = new FakePeer(1024 * 1024, 8 * 8 * 1024 * 1024);
    // The outcome as a string, so a map read whole is not printed byte by byte.
    const outcome = await readChangeMap(peer, 0).then(
      (map) => `read ${map.bits.length} bytes`,
      (e: Error) => e.message,
    );
    expect(outcome).toMatch(/change map claims 8388608 bytes, more than its 1048576-byte volume/);
    expect(peer.mapCommands).toBe(1);
  });

  it('refuses a chunk size too small to bound the map', async () => {
    const peer = new FakePeer(1024 * 1024, 16, 0);
    const outcome = await readChangeMap(peer, 0).then(
      () => 'read',
      (e: Error) => e.message,
    );
    expect(outcome).toMatch(/0-byte chunks/);
  });

  it('reads a map exactly the size of the volume, a partial last chunk included', async () => {
    // 1 MiB + 1 block: 17 chunks, 3 bitmap bytes.
    const peer = new FakePeer(1024 * 1024 + BLOCK, 17);
    const map = await readChangeMap(peer, 0);
    expect(map).toMatchObject({ base: 7n, chunkSize: CHUNK, chunkCount: 17, totalBytes: 3 });
    expect(map.bits).toEqual(Buffer.alloc(3, 0xff));
  });
});
