/**
 * A switchover against metadata that forgets at a power loss (a file system that keeps only
 * what was synced): the old primary's demotion is durable before its PROMOTE leaves, and the
 * peer's promotion before it answers. Otherwise a power loss of the old primary just after
 * sending would bring it back a primary beside the new one, and one of the new primary after
 * answering would leave both nodes backups with the old one sure the peer took over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadVolumeRecord } from '../../../src/replication/volume-record.js';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { Pair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** The role a node's metadata would come back with after a power loss now. */
async function durableRole(files: PowerLossFiles, metaDir: string): Promise<string | undefined> {
  return (await loadVolumeRecord(metaDir, files.survivor({ keep: 'none' })))?.role;
}

describe.each(['async', 'sync'] as const)('roles across a switchover, on metadata that forgets (%s mirroring)', (flavour) => {
  it('the old primary is durably a backup before its PROMOTE leaves, the new one durably a primary before it answers', async () => {
    pair = new Pair();
    const { a, b } = pair;
    const filesOf = { a: new PowerLossFiles(), b: new PowerLossFiles() };
    for (const [node, files] of [[a, filesOf.a], [b, filesOf.b]] as const) await files.mkdir(node.metaDir);
    await b.open('backup', { flavour, files: filesOf.b });
    await a.open('primary', { flavour, files: filesOf.a });
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    await writeChunks(a.device, [1, 2], 0x41);
    expect(await durableRole(filesOf.a, a.metaDir)).toBe('primary');

    a.link.hold('replication-control');
    const switching = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
    await pair.settle(() => a.device.status().role === 'backup');
    // The PROMOTE waits on the wire: the peer could take it at any moment now.
    expect(await durableRole(filesOf.a, a.metaDir)).toBe('backup');
    expect(await durableRole(filesOf.b, b.metaDir)).toBe('backup');
    a.link.release();
    expect(await switching).toBe('ok');
    expect(b.device.status().role).toBe('primary');
    expect(await durableRole(filesOf.b, b.metaDir)).toBe('primary');
  });
});
