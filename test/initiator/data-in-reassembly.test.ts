import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

describe('Data-In reassembly', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  const connect = (port: number) =>
    IscsiSession.connect({ host: '127.0.0.1', port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });

  it('assembles many Data-In PDUs into one buffer, status in the last', async () => {
    const payload = randomBytes(100_000);
    target = await FakeTarget.start({ onCommand: (conn, c) => conn.sendDataIn(c.itt, payload, 8192) });
    const session = await connect(target.port);
    const r = await session.command({ lun: 0, cdb: Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0]), dataInLength: payload.length });
    expect(r.status).toBe(0);
    expect(r.dataIn!.equals(payload)).toBe(true);
    await session.logout();
  });

  it('drops the connection instead of writing past the buffer the caller sized', async () => {
    target = await FakeTarget.start({ onCommand: (conn, c) => conn.sendDataIn(c.itt, Buffer.alloc(4096), 4096) });
    const session = await connect(target.port);
    const error = await session.command({ lun: 0, cdb: Buffer.from([0x12, 0, 0, 0, 36, 0]), dataInLength: 36 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IscsiConnectionError);
    expect((await session.closed)?.message).toMatch(/overruns/);
  });
});
