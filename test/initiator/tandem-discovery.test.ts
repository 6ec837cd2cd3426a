import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/initiator/discovery.js';
import { TEST_INITIATOR } from './tgtd.js';
import { startTandem, type RunningTandem } from './tandem.js';

describe('SendTargets discovery against Tandem', () => {
  let target: RunningTandem;

  beforeAll(async () => {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:discovery', lunBytes: 1024 * 1024 });
  });

  afterAll(async () => {
    await target?.stop();
  });

  it('lists the target with the portal we reached', async () => {
    const targets = await discover({ host: '127.0.0.1', port: target.port }, { initiatorName: TEST_INITIATOR });
    expect(targets.map((t) => t.iqn)).toEqual([target.iqn]);
    expect(targets[0]!.portals).toContainEqual(expect.objectContaining({ host: '127.0.0.1', port: target.port }));
  });
});
