import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSetCommand, modeSetCommand, replicateCommand } from '../../src/cli/admin/actions.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { startControlServer } from '../../src/replication/control/server.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function socketPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-adm-'));
  dirs.push(d);
  return join(d, 'tandem.sock');
}

describe('admin commands: exit codes and one-line errors', () => {
  it('config set with an unknown key: exit 2, one line, before contacting any server', async () => {
    const io = capture();
    expect(await configSetCommand({ control: socketPath(), key: 'maxSpeed', value: '1' }, io)).toBe(2);
    expect(io.stderr).toMatch(/^tandem: unknown key "maxSpeed" \(settable: .*maxRttMs.*\)\n$/);
  });

  it('config set with a bad value: exit 2', async () => {
    const io = capture();
    expect(await configSetCommand({ control: socketPath(), key: 'healthyForMs', value: 'soon' }, io)).toBe(2);
    expect(io.stderr).toMatch(/healthyForMs: "soon" is not a duration/);
  });

  it('config set with a bad retention: one line naming the key once', async () => {
    const io = capture();
    expect(await configSetCommand({ control: socketPath(), key: 'retention', value: 'bogus' }, io)).toBe(2);
    expect(io.stderr).toBe('tandem: retention: "bogus" is not last=N, hourly=N or daily=N (e.g. last=8,hourly=24,daily=14)\n');
  });

  it('config set prints the value it set as a user reads it: units, the retention policy', async () => {
    const path = socketPath();
    const server = await startControlServer(path, async (r) => ({ ok: true, result: { key: (r as { key: string }).key } }));
    try {
      const printed = async (key: string, value: string) => {
        const io = capture();
        expect(await configSetCommand({ control: path, key, value }, io)).toBe(0);
        return io.stdout;
      };
      expect(await printed('retention', 'last=2,daily=7')).toBe('retention = last=2,hourly=0,daily=7\n');
      expect(await printed('pointInterval', '15m')).toBe('pointInterval = 900000 ms\n');
      expect(await printed('maxNetInflowBytesPerSec', '64M')).toBe('maxNetInflowBytesPerSec = 67108864 bytes/s\n');
      expect(await printed('maxJournalFill', '0.5')).toBe('maxJournalFill = 0.5\n');
      expect(await printed('afterSplitBrain', 'discard-zero-changes')).toBe('afterSplitBrain = discard-zero-changes\n');
    } finally {
      await server.close();
    }
  });

  it('no server on the socket: exit 1 naming the path and --control', async () => {
    const io = capture();
    const path = socketPath();
    expect(await statusCommand({ control: path, json: true, watch: false }, io)).toBe(1);
    expect(io.stderr).toContain(path);
    expect(io.stderr).toContain('--control');
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--lun naming no replicated LUN: exit 2, one line; the selector reaches the server', async () => {
    const path = socketPath();
    const seen: unknown[] = [];
    const server = await startControlServer(path, async (r) => {
      seen.push(r);
      return { ok: false, code: 'no-such-lun', error: 'no replicated LUN matches LUN 3 (replicated: iqn.x LUN 0)' };
    });
    try {
      const io = capture();
      expect(await replicateCommand({ control: path, select: { lun: 3 } }, io)).toBe(2);
      expect(io.stderr).toBe('tandem: no replicated LUN matches LUN 3 (replicated: iqn.x LUN 0)\n');
      expect(seen).toEqual([{ cmd: 'replicate', select: { lun: 3 } }]);
    } finally {
      await server.close();
    }
  });

  it('a server-side failure maps to exit 1 and a usage refusal to exit 2', async () => {
    const path = socketPath();
    const server = await startControlServer(path, async (r) =>
      r.cmd === 'replicate' ? { ok: false, code: 'failed', error: 'link down' } : { ok: false, code: 'bad-value', error: 'nope' },
    );
    try {
      const io = capture();
      expect(await replicateCommand({ control: path }, io)).toBe(1);
      expect(io.stderr).toBe('tandem: link down\n');
      expect(await modeSetCommand({ control: path, mode: 'auto' }, capture())).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('status --watch prints one JSON line per sample; the table names every figure', async () => {
    const path = socketPath();
    const status: ServerStatus = { role: 'backup', replicatorIqn: 'iqn.2026-11.io.tandem:replicator', now: 0, luns: [{ target: 'iqn.2026-11.io.tandem:d', lun: 0, path: '/img/b.img' }] };
    const server = await startControlServer(path, async () => ({ ok: true, result: status }));
    try {
      const io = capture();
      expect(await statusCommand({ control: path, json: true, watch: true, samples: 3, intervalMs: 1 }, io)).toBe(0);
      const lines = io.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(JSON.parse(lines[0]!)).toEqual(status);
      const table = capture();
      await statusCommand({ control: path, json: false, watch: false }, table);
      expect(table.stdout).toMatch(/role\s+backup/);
      expect(table.stdout).toContain('read-only to initiators other than the replicator');
    } finally {
      await server.close();
    }
  });
});
