/**
 * `tandem status` as text: every row's label stands apart from its value (the longest,
 * "newest write", ran into it), and the role line says the role the LUNs hold now — a
 * node started as primary and demoted showed "primary" at the top. A pass that keeps failing
 * gets a row of its own, after the last one that completed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { formatStatus } from '../../src/cli/admin/format-status.js';
import { serverStatus, type ServerStatus } from '../../src/replication/control/handler.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { FakeLink } from '../replication/fake-link.js';

const SIZE = 1024 * 1024;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function statusOf(luns: number): Promise<ServerStatus> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-fmt-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const devices = await Promise.all(
    Array.from({ length: luns }, (_, i) => ReplicatedDevice.open({ local: new MemoryBlockStore({ size: SIZE }), link: new FakeLink(SIZE), metaDir: join(dir, `m${i}`), tickMs: 0, mode: 'delta' })),
  );
  for (const d of devices) cleanup.push(() => d.close());
  const target = 'iqn.2026-11.io.tandem:disk0';
  return serverStatus({ role: 'primary', replicatorIqn: 'iqn.2026-11.io.tandem:replicator', luns: devices.map((device, lun) => ({ target, lun, path: `/img/${lun}.img`, device })) });
}

/** A LUN's rows as [label, value], split where the label column ends. */
function rows(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => [l.slice(2, 15), l.slice(15)] as [string, string]);
}

describe('tandem status as text', () => {
  it('keeps every label apart from its value, for a primary and a backup', async () => {
    const status = await statusOf(1);
    const primary = formatStatus(status);
    const backup = structuredClone(status);
    Object.assign(backup.luns[0]!.replication!, { role: 'backup', newestWriteAt: status.now - 1500 });
    const asBackup = formatStatus(backup);
    const failing = structuredClone(status);
    failing.luns[0]!.replication!.passFailure = { at: status.now - 2000, trigger: 'catch-up', error: 'write on replica failed: out of space' };
    const withFailure = formatStatus(failing);
    expect(withFailure).toContain('  pass failed  2.0 s ago (catch-up), retried: write on replica failed: out of space');
    // A peer that answers but refuses is not a link down; one that does not answer is.
    const refusing = structuredClone(status);
    Object.assign(refusing.luns[0]!.replication!.figures, { linkUp: false });
    Object.assign(refusing.luns[0]!.replication!.link, { up: false, answering: true, lastError: 'write on replica failed: out of space' });
    expect(formatStatus(refusing)).toMatch(/ {2}link +up, replica FAILING, .*\(write on replica failed: out of space\)\n/);
    refusing.luns[0]!.replication!.link.answering = false;
    expect(formatStatus(refusing)).toMatch(/ {2}link +DOWN, /);
    expect(primary).not.toContain('pass failed');
    // Changes sent and awaiting confirmation apart from those to send (12540 "entries" at 0.0% read as stuck).
    failing.luns[0]!.replication!.journal = { ...status.luns[0]!.replication!.journal, entries: 14400, toSend: 12 };
    expect(formatStatus(failing)).toMatch(/ {2}journal +\d+\.\d% of .+ \(12 to send, 14388 sent awaiting confirmation\)\n/);
    expect(asBackup).toContain('  newest write 20');
    // The mode a backup will mirror in once promoted (set on each node: it does not follow a switchover).
    expect(asBackup).toMatch(/\n {2}mode +\w+ \((sync|async)\) once promoted\n/);
    // A backup a switchover left without its peer confirming: it says so, and what ends it now.
    expect(asBackup).not.toContain('handing over');
    const handingOver = structuredClone(backup);
    handingOver.luns[0]!.replication!.handingOver = true;
    const asHandingOver = formatStatus(handingOver);
    expect(asHandingOver).toMatch(/\n {2}handing over +a switchover made this node a backup .*asked again every tick \(`tandem promote` there does it now\)\n/);
    for (const [label, value] of [...rows(primary), ...rows(asBackup), ...rows(withFailure), ...rows(asHandingOver)]) {
      expect(label).toMatch(/^[a-z][a-z .]*[a-z.] *$/);
      expect(label.endsWith(' ')).toBe(true);
      expect(value).not.toMatch(/^ /);
      expect(value.length).toBeGreaterThan(0);
    }
  });

  it("names the role the LUNs hold now, and the one the server started with when it changed", async () => {
    const status = await statusOf(2);
    expect(formatStatus(status).split('\n')[0]).toBe('role           primary   (replicator iqn.2026-11.io.tandem:replicator)');
    const demoted = structuredClone(status);
    for (const l of demoted.luns) l.replication!.role = 'backup';
    expect(formatStatus(demoted).split('\n')[0]).toBe('role           backup, started as primary   (replicator iqn.2026-11.io.tandem:replicator)');
    demoted.luns[1]!.replication!.role = 'primary';
    expect(formatStatus(demoted).split('\n')[0]).toBe('role           mixed (per LUN below), started as primary   (replicator iqn.2026-11.io.tandem:replicator)');
  });
});
