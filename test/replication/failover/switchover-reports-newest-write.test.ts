/**
 * A node that hands the primary role over in a switchover holds every write acknowledged
 * until then: its status (and a later forced promotion) names the switchover's time as its
 * newest write, not the last write it applied as a backup before it was promoted, or none
 * ("-") when it never was one.
 */
import { afterEach, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

it('the old primary reports the switchover as its newest write, both ways', async () => {
  pair = await syncedPair({ flavour: 'sync' });
  const { a, b } = pair;
  await writeChunks(a.device, [1, 2], 0x41);
  // b, the backup, applied those writes now.
  const backupWriteAt = pair.clock.now;
  expect(b.device.status().newestWriteAt).toBe(backupWriteAt);

  await pair.tick(60_000);
  const firstSwitch = pair.clock.now;
  await a.device.switchover();
  expect(a.device.status().role).toBe('backup');
  // a never was a backup: before the fix it reported no newest write at all.
  expect(a.device.status().newestWriteAt).toBe(firstSwitch);

  await pair.tickUntil(() => b.device.status().state === 'continuous');
  await pair.tick(60_000);
  await writeChunks(b.device, [3], 0x42);
  await pair.tick(60_000);
  const secondSwitch = pair.clock.now;
  await b.device.switchover();
  // b last applied a write as a backup before the first switchover, and took host writes since.
  expect(b.device.status().newestWriteAt).toBe(secondSwitch);

  // a forced promotion of b (a lost) names that time too.
  a.crash();
  const promoted = await b.device.promote(true);
  expect(promoted.newestWriteAt).toBe(secondSwitch);
});
