/**
 * A target that stays away is one "reconnect failed" line for the whole outage, however many
 * attempts and give-ups it takes (a replicating primary whose backup was down logged ~90 lines
 * a minute), and "reconnected" says how long it lasted; the attempts themselves are at debug.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { FakeTarget } from './fake-target.js';


describe('a reconnecting session through an outage', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('logs its start once and its end with the time it lasted', async () => {
    const out: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void out.push(s) });
    // The outage: the target closes every connection as it comes (no listener to lose and regain).
    let away = false;
    target = await FakeTarget.start({
      onConnection: (conn) => away && conn.socket.destroy(),
      onCommand: (conn, command) => conn.respond(command.itt),
    });
    const session = await ReconnectingSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: 'iqn.2024-01.x:fake',
      timeouts: { nopIntervalMs: 0 },
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 150 },
      logger,
    });
    away = true;
    target.connections[0]!.socket.destroy();
    await session.current?.closed;
    // Three give-ups, each after several attempts.
    for (let i = 0; i < 3; i++) await expect(session.command({ lun: 0, cdb: Buffer.alloc(6) })).rejects.toThrow(/unreachable/);
    away = false;
    expect((await session.command({ lun: 0, cdb: Buffer.alloc(6) })).status).toBe(0);

    const lines = out.map((l) => JSON.parse(l) as { level: number; msg: string; unreachableMs?: number });
    const failed = lines.filter((l) => l.msg === 'reconnect failed');
    expect(failed.filter((l) => l.level >= 30)).toHaveLength(1);
    expect(failed.length).toBeGreaterThan(3);
    const back = lines.filter((l) => l.msg === 'reconnected');
    expect(back).toHaveLength(1);
    expect(back[0]!.unreachableMs).toBeGreaterThanOrEqual(300);
    await session.logout();
  });
});
