/**
 * A STAGED WRITE carries no pass identifier (C5h has no room for one): the backup stages it
 * into whichever pass is open when it arrives. So a pass must not end — abort, and let the
 * next pass BEGIN — while a staged write of its own is still on its way: one of a chunk's
 * writes refused used to fail the chunk's transfer at once, the chunk's other writes still in
 * flight (a reconnect re-sends them), and such a write reached the backup after the next
 * pass had opened there, putting this pass's (older) data into it.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PassSnapshot } from '../../src/replication/pass-snapshot.js';
import { ReplicaLinkError } from '../../src/replication/replica-link.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;
const CHUNKS = 4;
const SIZE = CHUNKS * CHUNK;
const KIB = 1024;

/** The first staged write is refused; the second lingers (in a reconnect's queue) until released. */
class LingeringLink extends FakeLink {
  readonly events: string[] = [];
  private stagedWrites = 0;
  release: (() => void) | undefined;

  override async stagedWrite(data: Buffer, offset: number): Promise<void> {
    const n = this.stagedWrites++;
    if (n === 0) throw new ReplicaLinkError('staged-write on replica failed: MEDIUM ERROR');
    if (n === 1) await new Promise<void>((r) => (this.release = r));
    await super.stagedWrite(data, offset);
    this.events.push(`staged ${offset}`);
  }

  override abortPass(passId: bigint): Promise<void> {
    this.events.push('abort');
    return super.abortPass(passId);
  }
}

const tables: DeltaTable[] = [];
afterEach(async () => {
  for (const t of tables.splice(0)) await t.close();
});

it("a pass given up ends only after every staged write of its own settled, so none lands in the next pass", async () => {
  const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
  // Chunk 1 holds two runs of data with zeroes between: two staged writes in one transfer.
  await local.write(randomBytes(16 * KIB), CHUNK);
  await local.write(randomBytes(16 * KIB), CHUNK + 48 * KIB);
  const link = new LingeringLink(SIZE);
  link.thin = true;
  const table = await DeltaTable.open({ dir: tempMetaDir(), volumeSize: SIZE, chunkSize: CHUNK });
  tables.push(table);
  await table.markAll();
  const all = Array.from({ length: CHUNKS }, (_, i) => i);
  table.beginCopy(all);
  const snap = new PassSnapshot(local, new MemoryBlockStore({ size: SIZE, path: 'scratch' }), CHUNK, all);

  let ended = false;
  const pass = runDeltaPass(table, ChunkSet.of(all), snap, link, { staged: true }).then(
    () => expect.fail('the pass should fail'),
    (e: unknown) => {
      ended = true;
      link.events.push('pass ended');
      return e;
    },
  );
  while (!link.release) await new Promise((r) => setImmediate(r));
  // Every turn the pass needs to end without its lingering write (it takes a few).
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  // The engine opens the next pass as soon as this one is over.
  const next = 0x2n;
  if (ended) await link.beginPass(next);
  link.release();
  expect(await pass).toBeInstanceOf(ReplicaLinkError);
  if (link.staged?.id !== next) await link.beginPass(next);

  expect(link.events).toEqual([`staged ${CHUNK + 48 * KIB}`, 'abort', 'pass ended']);
  expect(link.staged).toEqual({ id: next, writes: [] });
});
