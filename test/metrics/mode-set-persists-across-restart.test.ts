/**
 * `tandem mode set` is kept beside the LUN, as `tandem config set` is. Found by hand: a node
 * told `mode set continuous --sync` came back from a restart mirroring asynchronously (its
 * flags' mode), so a crash silently weakened the pair's promise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeSetCommand } from '../../src/cli/admin/actions.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { SETTINGS_FILE } from '../../src/replication/control/persisted-settings.js';
import { startPair, type Pair } from './replicated-pair.js';

function capture() {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

async function modeOf(pair: Pair): Promise<string> {
  const io = capture();
  expect(await statusCommand({ control: pair.primary.controlPath!, json: true, watch: false }, io)).toBe(0);
  const r = (JSON.parse(io.stdout) as ServerStatus).luns[0]!.replication!;
  return `${r.mode} ${r.flavour}`;
}

describe('tandem mode set: kept beside the LUN, over the flags, after a restart', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair();
  }, 30_000);
  afterAll(() => pair?.close());

  it('a restart keeps the mode and flavour set; a later mode set without a flavour keeps the flavour', async () => {
    expect(await modeOf(pair)).toBe('delta async');
    expect(await modeSetCommand({ control: pair.primary.controlPath!, mode: 'continuous', flavour: 'sync' }, capture())).toBe(0);
    expect(JSON.parse(readFileSync(join(pair.dir, 'primary.img.tandem', SETTINGS_FILE), 'utf8'))).toEqual({ mode: 'continuous', flavour: 'sync' });

    await pair.restartPrimary();
    expect(await modeOf(pair), 'the admin decision wins over --replication-mode delta given again').toBe('continuous sync');

    expect(await modeSetCommand({ control: pair.primary.controlPath!, mode: 'auto' }, capture())).toBe(0);
    await pair.restartPrimary();
    expect(await modeOf(pair)).toBe('auto sync');
  }, 30_000);
});
