import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../src/initiator/discovery.js';
import { TEST_INITIATOR, skipWithoutTgtd, startTgtd, type RunningTgtd } from './tgtd.js';

const IQN = 'iqn.2024-01.io.tandem.test:discovery';

describe.skipIf(skipWithoutTgtd())('SendTargets discovery against tgtd', () => {
  let tgtd: RunningTgtd;

  beforeAll(async () => {
    tgtd = await startTgtd({ iqn: IQN, lunBytes: 1024 * 1024 });
    await tgtd.tgtadm('--op', 'new', '--mode', 'target', '--tid', '2', '-T', `${IQN}-2`);
    await tgtd.tgtadm('--op', 'bind', '--mode', 'target', '--tid', '2', '-I', 'ALL');
  });

  afterAll(async () => {
    await tgtd?.stop();
  });

  it('lists every target with its portal', async () => {
    const targets = await discover({ host: '127.0.0.1', port: tgtd.port }, { initiatorName: TEST_INITIATOR });
    expect(targets.map((t) => t.iqn).sort()).toEqual([IQN, `${IQN}-2`]);
    for (const t of targets) expect(t.portals).toContainEqual(expect.objectContaining({ host: '127.0.0.1', port: tgtd.port }));
  });
});
