import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSetCommand } from '../../src/cli/admin/actions.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { SETTINGS_FILE } from '../../src/replication/control/persisted-settings.js';
import { startPair, type Pair } from './replicated-pair.js';

function capture() {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

async function replicationOf(pair: Pair) {
  const io = capture();
  expect(await statusCommand({ control: pair.primary.controlPath!, json: true, watch: false }, io)).toBe(0);
  return (JSON.parse(io.stdout) as ServerStatus).luns[0]!.replication!;
}

describe('tandem config set: thresholds persist beside the LUN and override flags after a restart', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ threshold: ['maxRttMs=300ms', 'deltaIntervalMs=5s'] });
  }, 30_000);
  afterAll(() => pair?.close());

  it('flags set thresholds at start; config set changes them, on disk too; a restart keeps them', async () => {
    let r = await replicationOf(pair);
    expect(r.thresholds.maxRttMs).toBe(300);
    expect(r.deltaIntervalMs).toBe(5000);

    expect(await configSetCommand({ control: pair.primary.controlPath!, key: 'maxRedundancy', value: '5' }, capture())).toBe(0);
    expect(await configSetCommand({ control: pair.primary.controlPath!, key: 'maxRttMs', value: '1s' }, capture())).toBe(0);
    const onDisk = JSON.parse(readFileSync(join(pair.dir, 'primary.img.tandem', SETTINGS_FILE), 'utf8'));
    expect(onDisk).toEqual({ maxRedundancy: 5, maxRttMs: 1000 });

    await pair.restartPrimary();
    r = await replicationOf(pair);
    expect(r.thresholds.maxRedundancy).toBe(5);
    // The persisted admin value wins over the --threshold flag given again at start.
    expect(r.thresholds.maxRttMs).toBe(1000);
    expect(r.deltaIntervalMs).toBe(5000);
    expect(r.thresholds.healthyForMs).toBe(10_000);
  }, 30_000);
});
