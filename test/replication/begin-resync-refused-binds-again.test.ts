/**
 * A backup that refuses BEGIN RESYNC (its disk is full: the resync mark cannot be written)
 * must not be resynchronised as if it had taken it: its primary treats the peer as lost,
 * binds again at the next look and asks again, and only then passes; the pair converges
 * once the backup can take it.
 */
import { afterEach, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from './paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

it('a refused BEGIN RESYNC is asked again before any pass', async () => {
  pair = await syncedPair();
  const { a, b } = pair;
  pair.partitioned = true;
  await pair.tickUntil(() => a.device.status().state === 'delta');
  await writeChunks(a.device, [1, 2, 3], 0x5e);
  pair.partitioned = false;

  const endpoint = b.device.endpoint;
  const begin = endpoint.beginResync.bind(endpoint);
  const asked: string[] = [];
  let full = true;
  endpoint.beginResync = async (source) => {
    asked.push(full ? 'refused' : 'taken');
    if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return begin(source);
  };
  const adopt = endpoint.adopt.bind(endpoint);
  endpoint.adopt = async (p) => {
    asked.push('adopt');
    return adopt(p);
  };

  const bound = a.log.events('replica-bound').length;
  await pair.tick().catch(() => undefined);
  expect(asked).toEqual(['refused']);
  // Still full: nothing is sent, the next look asks again.
  await pair.tick().catch(() => undefined);
  expect(asked[1]).toBe('refused');
  expect(asked).not.toContain('adopt');
  // Bound but not resynchronised: not logged as bound, each retry (the failing tick logs once).
  expect(a.log.events('replica-bound').length).toBe(bound);
  full = false;
  await pair.tickUntil(() => a.device.status().state === 'continuous' && a.device.status().dirtyChunks === 0);
  expect(asked.filter((x) => x !== 'refused')).toEqual(['taken', 'adopt']);
  expect(a.log.events('replica-bound').length).toBe(bound + 1);
  expect((await b.image()).equals(await a.image())).toBe(true);
});
