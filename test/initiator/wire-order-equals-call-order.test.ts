/**
 * Commands reach the target in the order they were called: a write called before a flush
 * (or an unmap) must not arrive after it, whether the LUN's block size is known or is
 * being learned by the write's own READ CAPACITY(16).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiOpcode } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

const BLOCK = 512;

describe('wire order', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  async function connect(): Promise<IscsiSession> {
    target = await FakeTarget.start({
      onConnection: (c) => (c.windowExtra = 16),
      onCommand(conn, command) {
        if (command.cdb[0] !== ScsiOpcode.SERVICE_ACTION_IN_16) return conn.respond(command.itt);
        const capacity = Buffer.alloc(32);
        capacity.writeBigUInt64BE(1023n, 0);
        capacity.writeUInt32BE(BLOCK, 8);
        conn.sendDataIn(command.itt, capacity, 32);
      },
    });
    return IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
  }

  const opcodes = () => target!.connections[0]!.received.flatMap((p) => (p.kind === 'scsi-command' ? [p.pdu.cdb[0]] : []));

  it('is call order for write16, synchronizeCache and unmap issued in one tick (block size known)', async () => {
    const session = await connect();
    session.setBlockSize(0, BLOCK);
    await Promise.all([
      session.write16(0, 0, Buffer.alloc(BLOCK)),
      session.synchronizeCache(0),
      session.writeScattered(0, [{ lba: 8, data: Buffer.alloc(BLOCK) }]),
      session.unmap(0, [{ lba: 0n, blocks: 1 }]),
    ]);
    expect(opcodes()).toEqual([ScsiOpcode.WRITE_16, ScsiOpcode.SYNCHRONIZE_CACHE_10, ScsiOpcode.SERVICE_ACTION_OUT_16, ScsiOpcode.UNMAP]);
    session.destroy();
  });

  it('is call order while the first write learns the block size', async () => {
    const session = await connect();
    await Promise.all([
      session.write16(0, 0, Buffer.alloc(BLOCK)),
      session.synchronizeCache(0),
      session.write16(0, 1, Buffer.alloc(BLOCK)),
      session.testUnitReady(0),
    ]);
    expect(opcodes()).toEqual([
      ScsiOpcode.SERVICE_ACTION_IN_16,
      ScsiOpcode.WRITE_16,
      ScsiOpcode.SYNCHRONIZE_CACHE_10,
      ScsiOpcode.WRITE_16,
      ScsiOpcode.TEST_UNIT_READY,
    ]);
    session.destroy();
  });
});
