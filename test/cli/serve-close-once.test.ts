/**
 * Closing a server twice (a second signal, a test's cleanup after an explicit close) waits for
 * the first close instead of flushing and closing its stores again: found in a test's cleanup,
 * where the second close logged "closing a logical unit failed: store closed".
 */
import { describe, expect, it } from 'vitest';
import { startLiveTarget } from '../integration/helpers.js';

describe('RunningServer.close', () => {
  it('is done once: later calls return the first close', async () => {
    const target = await startLiveTarget({ lunSpecs: ['disk0.img,size=1M'] });
    const first = target.server.close();
    const second = target.server.close();
    expect(second).toBe(first);
    await first;
    expect(target.server.close()).toBe(first);
    await target.close();
  });
});
