import { afterEach, expect, it } from 'vitest';
import { openHarness, reachContinuous, type Harness } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.device.close();
  h = undefined;
});

it('while a switch to delta is still folding, status already names its reason', async () => {
  h = await openHarness(tempMetaDir(), { mode: 'auto', flavour: 'async' });
  await reachContinuous(h);
  const switching = h.device.switchToDelta('admin', 'test');
  const during = h.device.status();
  expect(during.state).toBe('delta');
  expect(during.lastSwitch).toMatchObject({ from: 'continuous', to: 'delta', reason: 'admin' });
  await switching;
  expect(h.device.status().lastSwitch?.reason).toBe('admin');
});
