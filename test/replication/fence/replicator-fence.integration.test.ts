/**
 * The replicator fence over iSCSI, between the embedded initiator and a Tandem backup: a
 * write pipelined behind a failed one, as a batch the primary sent before it learnt of the
 * failure, is not applied; the link clears the fence itself (ABORT TASK SET) after a failed
 * stream command, so its next write lands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INITIATOR_NAME, IscsiConnectionError, TaskAttribute, type ReconnectingSession } from '../../../src/initiator/index.js';
import { write16Cdb } from '../../../src/initiator/cdb.js';
import { IscsiReplicaLink } from '../../../src/replication/iscsi-replica-link.js';
import { startLiveTarget, type LiveTarget } from '../../integration/helpers.js';

const BLOCK = 512;
const SIZE = 64 * 1024 * 1024;

describe('the replicator fence on a live backup', () => {
  let backup: LiveTarget;
  const controlDir = mkdtempSync(join(tmpdir(), 'tandem-fence-ctl-'));
  beforeAll(async () => {
    backup = await startLiveTarget({ role: 'backup', replicatorIqn: DEFAULT_INITIATOR_NAME, control: join(controlDir, 'tandem.sock') });
  });
  afterAll(async () => {
    await backup?.close();
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('refuses the write pipelined behind a failed one; the link clears the fence and its next write lands', async () => {
    const link = await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 3000 });
    const session = (link as unknown as { session: ReconnectingSession }).session;
    const read = async (offset: number) => {
      const b = Buffer.alloc(4096);
      await link.read(b, offset);
      return b;
    };
    try {
      // Sent back to back on the session, as two pipelined batches: the first beyond the end (refused), the second ORDERED.
      const failed = session.write16(0, SIZE / BLOCK, Buffer.alloc(4096, 1), { idempotent: true });
      const behind = session.write16(0, 8, Buffer.alloc(4096, 2), { idempotent: true, taskAttribute: TaskAttribute.ORDERED });
      await expect(failed).rejects.toThrow();
      await expect(behind).rejects.toThrow();
      // Nothing of the later batch on the backup, and the replicator is fenced: this write fails too, and the link clears.
      await expect(link.write(Buffer.alloc(4096, 3), 8 * BLOCK, false)).rejects.toThrow();
      expect((await read(8 * BLOCK)).every((b) => b === 0)).toBe(true);
      await link.write(Buffer.alloc(4096, 4), 16 * BLOCK, false);
      expect((await read(16 * BLOCK)).every((b) => b === 4)).toBe(true);

      // Through the link: a failed write, then the next one lands without any other help.
      await expect(link.write(Buffer.alloc(4096, 5), SIZE, false)).rejects.toThrow();
      await link.write(Buffer.alloc(4096, 6), 24 * BLOCK, false);
      expect((await read(24 * BLOCK)).every((b) => b === 6)).toBe(true);
    } finally {
      await link.close();
    }
  });

  it('does not re-issue on the next session a write issued before stopReissues, and re-issues one issued after', async () => {
    const link = await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 3000 });
    const session = (link as unknown as { session: ReconnectingSession }).session;
    try {
      const before = session.command({ lun: 0, cdb: write16Cdb(32, 8), dataOut: Buffer.alloc(4096, 7), idempotent: true });
      session.stopReissues();
      session.current!.destroy('test: connection cut');
      const error = await before.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IscsiConnectionError);
      const after = session.command({ lun: 0, cdb: write16Cdb(40, 8), dataOut: Buffer.alloc(4096, 8), idempotent: true });
      session.current?.destroy('test: connection cut');
      expect((await after).status).toBe(0);
      const b = Buffer.alloc(4096);
      await link.read(b, 40 * BLOCK);
      expect(b.every((x) => x === 8)).toBe(true);
    } finally {
      await link.close();
    }
  });
});
