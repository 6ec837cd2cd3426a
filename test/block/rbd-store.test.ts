/**
 * RbdBlockStore against a real one-node cluster (test/support/ceph.ts): the same model the
 * file and memory stores match, FUA and flush through librbd's cache, discard and
 * allocation, digests, the shared connection (one per op timeout), and the errors a user sees.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { digestLength, digestParts } from '../../src/block/digest.js';
import { DEFAULT_RBD_OP_TIMEOUT_S, RbdBlockStore, type RbdBlockStoreOptions } from '../../src/block/rbd-store.js';
import { native } from '../../src/native/index.js';
import { clientConf, describeWithCeph } from '../support/ceph.js';
import { SIZE, checkAgainstModel, opArb } from './store-model.js';

const MiB = 1 << 20;

describeWithCeph('RbdBlockStore', (cluster) => {
  let images = 0;
  const options = (extra: Partial<RbdBlockStoreOptions> = {}): RbdBlockStoreOptions => ({
    pool: cluster().pool,
    image: `img${images++}`,
    conf: cluster().conf,
    ...extra,
  });
  const confWith = (name: string, client: string): string => clientConf(cluster(), name, client);

  it('agrees with the flat-buffer model (writes, discards, digests, allocation)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 20 }), async (ops) => {
        const store = await RbdBlockStore.open(options({ size: SIZE }));
        try {
          await checkAgainstModel(store, ops);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it('size creates an absent image, grows a smaller one, and is not needed to reopen', async () => {
    const image = options().image;
    const created = await RbdBlockStore.open(options({ image, size: 4 * MiB }));
    expect(created.size).toBe(4 * MiB);
    expect(created.path).toBe(`rbd:rbd/${image}`);
    await created.write(Buffer.alloc(512, 9), 4096);
    await created.close();
    const grown = await RbdBlockStore.open(options({ image, size: 8 * MiB }));
    expect(grown.size).toBe(8 * MiB);
    await grown.close();
    const reopened = await RbdBlockStore.open(options({ image }));
    expect(reopened.size).toBe(8 * MiB);
    const back = Buffer.alloc(512);
    await reopened.read(back, 4096);
    expect(back.every((b) => b === 9)).toBe(true);
    await reopened.close();
    expect((await cluster().rbd('info', '--format', 'json', `${cluster().pool}/${image}`)).toString()).toContain(`"size":${8 * MiB}`);
  });

  it('a FUA write is on the OSDs when it completes, a cached one after flush (writeback cache)', async () => {
    const image = options().image;
    const cached = await RbdBlockStore.open(
      options({ image, size: 4 * MiB, conf: confWith('writeback', 'rbd_cache = true\nrbd_cache_policy = writeback\nrbd_cache_writethrough_until_flush = false\nrbd_cache_max_dirty_age = 60') }),
    );
    // Another client without a cache sees only what reached the OSDs.
    const observer = await RbdBlockStore.open(options({ image, readOnly: true, conf: confWith('nocache', 'rbd_cache = false') }));
    const seen = async (offset: number): Promise<number> => {
      const b = Buffer.alloc(4096);
      await observer.read(b, offset);
      return b[0]!;
    };
    try {
      await cached.write(Buffer.alloc(4096, 1), 0, true);
      expect(await seen(0)).toBe(1);
      await cached.write(Buffer.alloc(4096, 2), MiB);
      expect(await seen(MiB)).toBe(0);
      await cached.flush();
      expect(await seen(MiB)).toBe(2);
    } finally {
      await observer.close();
      await cached.close();
    }
  });

  it('a FUA write is on the OSDs when it completes (default write-around cache, on without an op timeout)', async () => {
    const image = options().image;
    const store = await RbdBlockStore.open(options({ image, size: 4 * MiB, opTimeout: 0 }));
    const observer = await RbdBlockStore.open(options({ image, readOnly: true, conf: confWith('nocache2', 'rbd_cache = false') }));
    try {
      const data = randomBytes(64 * 1024);
      await store.write(data, 512 * 1024, true);
      const b = Buffer.alloc(data.length);
      await observer.read(b, 512 * 1024);
      expect(b.equals(data)).toBe(true);
    } finally {
      await observer.close();
      await store.close();
    }
  });

  it('allocation follows writes and whole-object discards (rbd_diff_iterate2)', async () => {
    const store = await RbdBlockStore.open(options({ size: 64 * MiB }));
    try {
      expect(await store.allocation(0, 64 * MiB)).toEqual({ mapped: false, length: 64 * MiB });
      await store.write(Buffer.alloc(4096, 1), 0);
      await store.write(Buffer.alloc(512, 1), 20 * MiB);
      expect(await store.allocation(0, 64 * MiB)).toEqual({ mapped: true, length: 4096 });
      expect(await store.allocation(4096, 64 * MiB)).toEqual({ mapped: false, length: 20 * MiB - 4096 });
      expect(await store.allocation(20 * MiB, 64 * MiB)).toEqual({ mapped: true, length: 512 });
      // maxLength bounds the answer; so does the end of the device.
      expect(await store.allocation(4096, 8192)).toEqual({ mapped: false, length: 8192 });
      expect(await store.allocation(60 * MiB, 64 * MiB)).toEqual({ mapped: false, length: 4 * MiB });
      await store.discard(20 * MiB, 4 * MiB);
      expect(await store.allocation(4096, 64 * MiB)).toEqual({ mapped: false, length: 64 * MiB - 4096 });
      await expect(store.allocation(64 * MiB, 1)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      await store.close();
    }
  });

  it('digests extents larger than a piece, unaligned, many per call, as rbd export hashes them', async () => {
    const image = options().image;
    const store = await RbdBlockStore.open(options({ image, size: 16 * MiB }));
    try {
      await store.write(randomBytes(6 * MiB), MiB);
      await store.flush();
      const bytes = await cluster().rbd('export', '--no-progress', `${cluster().pool}/${image}`, '-');
      const extents = [0, 16 * MiB, MiB + 3, 5 * MiB - 7, 0, 0, 7 * MiB - 1, 1, ...Array.from({ length: 40 }, (_, i) => [i * 300_000, 65_536]).flat()];
      for (const algorithm of store.digestAlgorithms) {
        const digests = await store.digestExtents(Float64Array.from(extents), algorithm);
        const size = digestLength(algorithm);
        expect(digests.length).toBe((extents.length / 2) * size);
        for (let i = 0; i < extents.length; i += 2) {
          const want = digestParts(algorithm, [bytes.subarray(extents[i]!, extents[i]! + extents[i + 1]!)]);
          expect(digests.subarray((i / 2) * size, (i / 2 + 1) * size).equals(want), `${algorithm} extent ${i / 2}`).toBe(true);
        }
      }
      const sha = await store.sha256(MiB, 6 * MiB);
      expect(sha.equals(createHash('sha256').update(bytes.subarray(MiB, 7 * MiB)).digest())).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('shares one connection and one I/O context per pool, and drops them with the last image', async () => {
    await cluster().ceph('osd', 'pool', 'create', 'rbd2', '8', '8');
    await cluster().rbd('pool', 'init', 'rbd2');
    const before = native.rbdConnections!();
    expect(before).toEqual({ connections: 0, pools: 0 });
    const a = await RbdBlockStore.open(options({ size: MiB }));
    const b = await RbdBlockStore.open(options({ size: MiB }));
    expect(native.rbdConnections!()).toEqual({ connections: 1, pools: 1 });
    const c = await RbdBlockStore.open(options({ pool: 'rbd2', size: MiB }));
    expect(native.rbdConnections!()).toEqual({ connections: 1, pools: 2 });
    await a.close();
    await c.close();
    expect(native.rbdConnections!()).toEqual({ connections: 1, pools: 1 });
    await b.close();
    expect(native.rbdConnections!()).toEqual({ connections: 0, pools: 0 });
  });

  it('images with different op timeouts get different connections (the timeout is per connection)', async () => {
    expect(native.rbdConnections!()).toEqual({ connections: 0, pools: 0 });
    const byDefault = await RbdBlockStore.open(options({ size: MiB }));
    const same = await RbdBlockStore.open(options({ size: MiB, opTimeout: DEFAULT_RBD_OP_TIMEOUT_S }));
    const waits = await RbdBlockStore.open(options({ size: MiB, opTimeout: 0 }));
    // The default is librados' own (wait for the OSD): one connection for the three.
    expect(native.rbdConnections!()).toEqual({ connections: 1, pools: 1 });
    const short = await RbdBlockStore.open(options({ size: MiB, opTimeout: 3 }));
    const longer = await RbdBlockStore.open(options({ size: MiB, opTimeout: 14 }));
    expect(native.rbdConnections!()).toEqual({ connections: 3, pools: 3 });
    for (const s of [byDefault, same, waits, short, longer]) await s.close();
    expect(native.rbdConnections!()).toEqual({ connections: 0, pools: 0 });
    await expect(RbdBlockStore.open(options({ size: MiB, opTimeout: -1 }))).rejects.toThrow(/opTimeout must be a non-negative integer/);
  });

  it("with an op timeout, refuses an image whose own or pool config turns librbd's write-around cache back on", async () => {
    const image = options().image;
    await (await RbdBlockStore.open(options({ image, size: MiB }))).close();
    const spec = `${cluster().pool}/${image}`;
    await cluster().rbd('config', 'image', 'set', spec, 'rbd_cache', 'true');
    await expect(RbdBlockStore.open(options({ image, opTimeout: 3 }))).rejects.toThrow(
      `rbd:${spec}: the pool's or the image's config turns librbd's write-around cache on, which acknowledges writes an op timeout can then drop (set rbd_cache_policy writeback or rbd_cache false there, or op-timeout=0): EINVAL`,
    );
    expect(native.rbdConnections!()).toEqual({ connections: 0, pools: 0 });
    // Without a timeout nothing is dropped; read-only, nothing is written; write-back keeps a failed write dirty.
    await (await RbdBlockStore.open(options({ image, opTimeout: 0 }))).close();
    await (await RbdBlockStore.open(options({ image, readOnly: true }))).close();
    await cluster().rbd('config', 'image', 'set', spec, 'rbd_cache_policy', 'writeback');
    await (await RbdBlockStore.open(options({ image, opTimeout: 3 }))).close();
    await cluster().rbd('config', 'image', 'set', spec, 'rbd_cache_policy', 'writearound');
    await cluster().rbd('config', 'image', 'set', spec, 'rbd_cache_max_dirty', '0');
    await (await RbdBlockStore.open(options({ image, opTimeout: 3 }))).close();
  });

  it('close waits for I/O in flight; afterwards every call is refused', async () => {
    const store = await RbdBlockStore.open(options({ size: 4 * MiB }));
    const writes = Array.from({ length: 16 }, (_, i) => store.write(Buffer.alloc(64 * 1024, i + 1), i * 64 * 1024));
    const closed = store.close();
    await Promise.all(writes);
    await closed;
    await expect(store.read(Buffer.alloc(512), 0)).rejects.toMatchObject({ code: 'EBADF' });
    await expect(store.flush()).rejects.toMatchObject({ code: 'EBADF' });
    await store.close();
  });

  it('a read-only image refuses writes and discards', async () => {
    const image = options().image;
    await (await RbdBlockStore.open(options({ image, size: MiB }))).close();
    const store = await RbdBlockStore.open(options({ image, readOnly: true }));
    try {
      expect(store.canDiscard).toBe(false);
      await expect(store.write(Buffer.alloc(512), 0)).rejects.toMatchObject({ code: 'EROFS' });
      await expect(store.discard(0, 512)).rejects.toMatchObject({ code: 'EROFS' });
      await store.read(Buffer.alloc(512), 0);
    } finally {
      await store.close();
    }
  });

  it('says in one line what is wrong: no pool, no image, no cluster', async () => {
    await expect(RbdBlockStore.open(options({ pool: 'nosuchpool', image: 'x' }))).rejects.toThrow('rbd:nosuchpool/x: pool nosuchpool does not exist: ENOENT');
    await expect(RbdBlockStore.open(options({ image: 'absent' }))).rejects.toThrow('rbd:rbd/absent: image rbd/absent does not exist (size=SIZE creates it): ENOENT');
    const nowhere = join(cluster().dir, 'nowhere.conf');
    writeFileSync(nowhere, '[global]\nmon_host = 127.0.0.1:1\nclient_mount_timeout = 2\n');
    await expect(RbdBlockStore.open(options({ conf: nowhere, image: 'x' }))).rejects.toThrow(/^rbd:rbd\/x: cannot connect to the Ceph cluster as client.admin .*: E[A-Z]+$/);
    await expect(RbdBlockStore.open(options({ conf: join(cluster().dir, 'missing.conf') }))).rejects.toThrow(/cannot read the Ceph config .*missing.conf: ENOENT/);
    expect(native.rbdConnections!()).toEqual({ connections: 0, pools: 0 });
  }, 30_000);
});
