/**
 * A backup that answers but cannot take a pass (its disk is full) keeps the pair in delta
 * mode while the primary retries: status says why (`passFailure`, the "pass failed" row of
 * `tandem status`), the log says so once however often the pass and the return to continuous
 * mirroring are retried (each retry was a line), and the binding
 * the primary renews before each retry is not logged again each time (it was a line a
 * second). Once the backup takes writes again the failure clears and the pair converges.
 */
import { afterEach, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from './paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

it('a pass the backup keeps failing is reported once, in status until one completes', async () => {
  pair = await syncedPair();
  const { a, b } = pair;
  pair.partitioned = true;
  await pair.tickUntil(() => a.device.status().state === 'delta');
  await writeChunks(a.device, [1, 2, 3], 0x5e);

  const write = b.device.write.bind(b.device);
  let full = true;
  let refused = 0;
  b.device.write = async (data, offset, durable) => {
    if (!full) return write(data, offset, durable);
    refused++;
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  const boundBefore = a.log.events('replica-bound').length;
  pair.partitioned = false;
  await pair.tickUntil(() => a.device.status().passFailure !== undefined);
  const failedAt = a.device.status().passFailure!.at;
  await pair.tickUntil(() => a.device.status().passFailure!.at > failedAt);
  await pair.tickUntil(() => refused >= 3 && a.device.status().passFailure!.at > failedAt);
  // Long enough for several healthy periods, each ending in a failed return to continuous.
  for (let i = 0; i < 40; i++) await pair.tick();

  const status = a.device.status();
  expect(status.state).toBe('delta');
  expect(status.dirtyChunks).toBe(3);
  expect(status.passFailure!.error).toContain('ENOSPC');
  expect(a.log.events('delta-pass-failed')).toHaveLength(1);
  expect(a.log.events('delta-pass-failed')[0]!.error).toContain('ENOSPC');
  expect(a.log.events('replica-bound').length - boundBefore).toBe(1);
  // Each healthy period tries the return to continuous mirroring again: one line for them all.
  expect(a.log.events('catch-up-failed')).toHaveLength(1);

  full = false;
  await pair.tickUntil(() => a.device.status().state === 'continuous' && a.device.status().dirtyChunks === 0);
  expect(a.device.status().passFailure).toBeUndefined();
  expect((await b.image()).equals(await a.image())).toBe(true);
});
