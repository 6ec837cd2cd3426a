/**
 * A failing store fails every command the same way: the target answers each (MEDIUM ERROR,
 * SPACE ALLOCATION FAILED) but logs the condition once, not once per command — a disk gone
 * bad under a busy host must not flood the log.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { read10, rig, senseOf, write10 } from './helpers.js';

describe('commands failing in the store', () => {
  it('are each answered, and logged once per kind', async () => {
    const out: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void out.push(s) });
    const r = await rig({ logger });
    r.store.read = () => Promise.reject(new BlockIoError('EIO', 5, 'injected'));
    r.store.write = () => Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
    for (let i = 0; i < 200; i++) {
      expect(senseOf(await r.exec(read10(i, 1)))).toMatchObject({ key: 0x03, asc: 0x11 });
      expect(senseOf(await r.exec(write10(i, 1), Buffer.alloc(512)))).toMatchObject({ key: 0x07, asc: 0x27, ascq: 0x07 });
    }
    const lines = out.map((l) => JSON.parse(l) as { msg: string; code?: string });
    expect(lines.map((l) => l.msg).sort()).toEqual(['block I/O error', 'out of space']);
  });
});
