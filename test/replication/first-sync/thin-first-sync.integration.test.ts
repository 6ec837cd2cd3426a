/**
 * First syncs and resyncs cost what is allocated (seed 004), between two real nodes: a
 * primary ReplicatedDevice on a sparse file and a backup-role Tandem target on another,
 * through the embedded initiator (GET LBA STATUS, UNMAP, staged discards). Data only on the
 * primary is sent without a challenge and without its zero blocks; regions empty on both
 * are skipped; data only on the backup is deallocated there; data on both is challenged.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../../src/block/file-store.js';
import { DEFAULT_INITIATOR_NAME } from '../../../src/initiator/index.js';
import { IscsiReplicaLink } from '../../../src/replication/iscsi-replica-link.js';
import { ReplicatedDevice } from '../../../src/replication/replicated-device.js';
import { startLiveTarget, type LiveTarget } from '../../integration/helpers.js';
import { allocatedBytes, expectSameContent, isHole } from './sparse-files.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const KiB = 1024;
const CHUNK = 64 * KiB;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Node {
  backup: LiveTarget;
  backupImage: string;
  primaryImage: string;
  local: FileBlockStore;
  link: IscsiReplicaLink;
}

/** A backup-role target on a sparse `size` image, a sparse primary image, and the replicator's link between them. */
async function nodes(size: number): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-thin-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const backup = await startLiveTarget({ role: 'backup', replicatorIqn: DEFAULT_INITIATOR_NAME, control: join(dir, 'backup.sock'), lunSpecs: [`disk0.img,size=${size}`] });
  cleanups.push(() => backup.close());
  const local = await FileBlockStore.open({ path: join(dir, 'primary.img'), size });
  const link = await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 10_000 });
  return { backup, backupImage: join(backup.dir, 'disk0.img'), primaryImage: join(dir, 'primary.img'), local, link };
}

async function openPrimary(n: Node): Promise<ReplicatedDevice> {
  const metaDir = mkdtempSync(join(tmpdir(), 'tandem-thin-meta-'));
  cleanups.push(async () => rmSync(metaDir, { recursive: true, force: true }));
  // Delta mode: the first sync is one explicit pass whose figures the test reads.
  const device = await ReplicatedDevice.open({ local: n.local, link: n.link, metaDir, role: 'primary', mode: 'delta', tickMs: 0, clock: () => 0 });
  cleanups.push(() => device.close());
  return device;
}

/** The backup's image as a store of its own, to look at its allocation and contents. */
async function backupStore(n: Node): Promise<FileBlockStore> {
  const store = await FileBlockStore.open({ path: n.backupImage, readOnly: true });
  cleanups.push(() => store.close());
  return store;
}

/** Chunks [offset, offset+length) touches. */
function chunksOf(offset: number, length: number): number[] {
  const out: number[] = [];
  for (let c = Math.floor(offset / CHUNK); c * CHUNK < offset + length; c++) out.push(c);
  return out;
}

describe('thin first sync and resync', () => {
  it('a large thin primary onto an empty thin backup moves only its data; the backup ends as allocated as the primary', async () => {
    const size = 4 * GiB;
    const n = await nodes(size);
    // Pieces in distinct random 64 MiB slots, of every shape: whole chunks, a block inside a chunk,
    // one straddling a chunk boundary, one starting mid-chunk over several chunks.
    const shapes = [
      { at: 0, length: 1 * MiB },
      { at: 8 * KiB, length: 4 * KiB },
      { at: 52 * KiB, length: 24 * KiB },
      { at: 12 * KiB, length: 200 * KiB },
    ];
    const slots = new Set<number>();
    while (slots.size < 24) slots.add(randomInt(0, size / (64 * MiB)));
    const pieces = [...slots].map((slot, i) => {
      const shape = shapes[i % shapes.length]!;
      return { offset: slot * 64 * MiB + randomInt(0, 256) * CHUNK + shape.at, data: randomBytes(shape.length) };
    });
    for (const p of pieces) await n.local.write(p.data, p.offset);
    const dataBytes = pieces.reduce((s, p) => s + p.data.length, 0);
    const touched = new Set(pieces.flatMap((p) => chunksOf(p.offset, p.data.length)));

    const device = await openPrimary(n);
    const r = await device.replicateNow();

    expect(r).toMatchObject({ chunks: size / CHUNK, challengedChunks: 0, unmappedChunks: 0, staged: false });
    expect(r.sentChunks).toBe(touched.size);
    expect(r.sentWithoutChallengeChunks).toBe(touched.size);
    expect(r.skippedChunks).toBe(size / CHUNK - touched.size);
    // The data itself, not the whole chunks it lies in: zero blocks do not move onto a backup that holds nothing.
    expect(r.bytesSent).toBe(dataBytes);
    // A handful of GET LBA STATUS for 4 GiB, not one per chunk.
    expect(r.allocationQueries).toBeLessThan(touched.size + 8);

    const backup = await backupStore(n);
    await expectSameContent(n.local, backup);
    const [primaryAllocated, backupAllocated] = [allocatedBytes(n.primaryImage), allocatedBytes(n.backupImage)];
    expect(backupAllocated).toBeGreaterThanOrEqual(dataBytes);
    expect(Math.abs(backupAllocated - primaryAllocated)).toBeLessThanOrEqual(primaryAllocated / 100);
  });

  it('onto a backup holding stale data: data on both is challenged, data only there deallocated (a hole, not zeroes), the rest sent', async () => {
    const size = 1 * GiB;
    const n = await nodes(size);
    const region = (i: number) => (1 + 4 * i) * 16 * MiB + randomInt(0, 64) * CHUNK;
    const same = region(0); // the same 256 KiB on both: challenged, nothing sent
    const differs = region(1); // different 256 KiB on each: challenged and sent
    const stale = region(2); // 512 KiB only on the backup: deallocated
    const fresh = region(3); // 128 KiB only on the primary: sent without a challenge
    const partly = region(4); // a chunk with 4 KiB here and another 4 KiB there: challenged, sent
    const common = randomBytes(256 * KiB);
    await n.local.write(common, same);
    await n.link.write(common, same, true);
    await n.local.write(randomBytes(256 * KiB), differs);
    await n.link.write(randomBytes(256 * KiB), differs, true);
    await n.link.write(randomBytes(512 * KiB), stale, true);
    await n.local.write(randomBytes(128 * KiB), fresh);
    await n.local.write(randomBytes(4 * KiB), partly);
    await n.link.write(randomBytes(4 * KiB), partly + 32 * KiB, true);

    const device = await openPrimary(n);
    const r = await device.replicateNow();

    expect(r).toMatchObject({ challengedChunks: 4 + 4 + 1, unmappedChunks: 8, sentWithoutChallengeChunks: 2 });
    expect(r.sentChunks).toBe(4 + 1 + 2);
    expect(r.skippedChunks).toBe(size / CHUNK - (4 + 4 + 8 + 2 + 1));
    const backup = await backupStore(n);
    expect(await isHole(backup, stale, 512 * KiB)).toBe(true);
    await expectSameContent(n.local, backup);
  });

  it('a resync of a synced backup stages the deallocation of what the primary discarded, in part of a chunk too; the backup ends with a hole there', async () => {
    const size = 1 * GiB;
    const n = await nodes(size);
    const kept = 100 * MiB;
    const dropped = 300 * MiB + 8 * KiB; // not chunk-aligned: the chunk it starts in keeps data on both
    await n.local.write(randomBytes(1 * MiB), kept);
    await n.local.write(randomBytes(1 * MiB), dropped - 8 * KiB);
    const device = await openPrimary(n);
    await device.replicateNow();

    // The host unmaps all but the first 8 KiB of the second region, and rewrites part of the first.
    await device.discard(dropped, 1 * MiB - 8 * KiB);
    await device.write(randomBytes(64 * KiB), kept);
    const r = await device.replicateNow();

    expect(r).toMatchObject({ staged: true, unmappedChunks: 15, challengedChunks: 0 });
    // The rewritten chunk and the one the discard starts in (it still holds data): sent, the
    // latter's data written and its discarded part deallocated there, not written as zeroes.
    expect(r.sentChunks).toBe(2);
    expect(r.bytesSent).toBe(64 * KiB + 8 * KiB);
    const backup = await backupStore(n);
    expect(await isHole(backup, dropped, 1 * MiB - 8 * KiB)).toBe(true);
    await expectSameContent(n.local, backup);
  });
});
