/**
 * `tandem verify --control` verifies the LUNs the node is primary of now, whatever role the
 * server was started with: a backup promoted after a failover verifies against its peer (it
 * answered "this server is a backup with no replicated LUN"), and a LUN that is a backup now
 * is refused in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { createControlHandler, type LunVerifier } from '../../src/replication/control/handler.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import type { ReplicationRole } from '../../src/replication/settings.js';
import { FakeLink } from '../replication/fake-link.js';

const SIZE = 1024 * 1024;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function handlerFor(startedAs: ReplicationRole, lunRole: ReplicationRole) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-verify-role-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const device = await ReplicatedDevice.open({ local: new MemoryBlockStore({ size: SIZE }), link: new FakeLink(SIZE), metaDir: join(dir, 'meta'), role: lunRole, tickMs: 0 });
  cleanup.push(() => device.close());
  const verified: string[] = [];
  const verify: LunVerifier = async (l) => {
    verified.push(l.path);
    return { differingChunks: 0 };
  };
  const handler = createControlHandler({
    role: startedAs,
    replicatorIqn: 'iqn.2026-11.io.tandem:replicator',
    logger: pino({ level: 'silent' }),
    luns: [{ target: 'iqn.2026-11.io.tandem:disk0', lun: 0, path: '/img/b.img', replica: 'iscsi://a/iqn.x:y/0', device }],
    verify,
  });
  return { handler, verified };
}

describe('tandem verify --control follows the role a LUN holds now', () => {
  it('a server started as backup whose LUN is primary now (promoted) verifies it against its peer', async () => {
    const { handler, verified } = await handlerFor('backup', 'primary');
    const answer = await handler({ cmd: 'verify' }, () => undefined);
    expect(answer).toMatchObject({ ok: true, result: { reports: [{ lun: 0, report: { differingChunks: 0 } }] } });
    expect(verified).toEqual(['/img/b.img']);
  });

  it('a LUN that is a backup now is refused in one line, nothing verified', async () => {
    const { handler, verified } = await handlerFor('primary', 'backup');
    expect(await handler({ cmd: 'verify' }, () => undefined)).toEqual({ ok: false, code: 'not-primary', error: 'verify: this node is a backup for this LUN (its primary replicates)' });
    expect(verified).toEqual([]);
  });
});
