/**
 * A replicated LUN's image must be the file its replication state (`<image>.tandem`)
 * describes. Found by hand: a primary whose image was deleted while it was down started
 * with a new blank one, served zeroes where the host's data had been, and its pair said it
 * was in step (the generations matched). Now the server refuses to start, in one line, when
 * the image is missing (instead of creating it) or is another file (a replacement, a copy),
 * and starts as before with the original back or the state removed. A damaged record of the
 * image or of its replication state is refused in one line that says what to do.
 */
import { mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReplicaSetupError, startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { setLogLevel } from '../../src/util/log.js';

const IQN = 'iqn.2026-11.io.tandem:image-check';
let dir: string;
let running: RunningServer | undefined;

beforeEach(() => {
  setLogLevel('warn');
  dir = mkdtempSync(join(tmpdir(), 'tandem-image-'));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const image = () => join(dir, 'disk.img');
const meta = () => join(dir, 'disk.img.tandem');

async function serveBackup(): Promise<RunningServer> {
  return startServer(buildServeSettings({ role: 'backup', iqn: IQN, lun: [`${image()},size=4M`], listen: ['127.0.0.1:0'] }));
}

async function refusal(): Promise<Error> {
  const e = await serveBackup().then(
    (s) => {
      running = s;
      return undefined;
    },
    (err: unknown) => err as Error,
  );
  expect(e).toBeInstanceOf(ReplicaSetupError);
  expect(e!.message).not.toContain('\n');
  return e!;
}

describe('a replicated LUN refuses an image that is not its own', () => {
  it('a missing image is not created where replication state remains', async () => {
    running = await serveBackup();
    await running.close();
    running = undefined;
    rmSync(image());
    const e = await refusal();
    expect(e.message).toContain(`LUN ${image()}: no such file, but ${meta()} holds its replication state`);
    expect(e.message).toContain(`remove ${meta()} to start a new one there`);
    expect(() => truncateSync(image(), 0)).toThrow(/ENOENT/);
  });

  it('another file in its place is refused; the original back, it starts', async () => {
    running = await serveBackup();
    await running.close();
    running = undefined;
    renameSync(image(), `${image()}.orig`);
    // A blank image of the same size, as a replaced disk would be.
    writeFileSync(image(), '');
    truncateSync(image(), 4 * 1024 * 1024);
    const e = await refusal();
    expect(e.message).toMatch(new RegExp(`^LUN ${image()}: not the file whose replication state ${meta()} holds \\(inode \\d+, recorded \\d+\\)`));
    expect(e.message).toContain(`put the original back, or remove ${meta()}`);

    rmSync(image());
    renameSync(`${image()}.orig`, image());
    running = await serveBackup();
    expect(running.addresses).toHaveLength(1);
  });

  it('a damaged image record is refused in one line naming it', async () => {
    running = await serveBackup();
    await running.close();
    running = undefined;
    writeFileSync(join(meta(), 'image.json'), '{"ino": "x"');
    const e = await refusal();
    expect(e.message).toBe(`${join(meta(), 'image.json')}: not an image record (remove it to record the image again)`);
  });

  it('a damaged replication record is refused in one line naming it and the way out', async () => {
    running = await serveBackup();
    await running.close();
    running = undefined;
    writeFileSync(join(meta(), 'replication.json'), '{"volumeId": ');
    const e = await refusal();
    expect(e.message).toBe(
      `LUN ${image()}: replication: ${join(meta(), 'replication.json')}: not valid JSON; restore it, or remove ${meta()} to start this image with no history (as a backup it then gets a full copy from its peer)`,
    );
  });

  it('with the replication state removed, a new image starts as a new volume', async () => {
    running = await serveBackup();
    await running.close();
    running = undefined;
    rmSync(image());
    rmSync(meta(), { recursive: true });
    running = await serveBackup();
    expect(running.addresses).toHaveLength(1);
  });
});
