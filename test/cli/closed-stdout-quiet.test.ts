/**
 * A command whose reader goes away (`tandem status --watch | head -1`) ends quietly with
 * exit 0, as a Unix filter does: it died of an unhandled EPIPE, with a stack trace.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { startControlServer } from '../../src/replication/control/server.js';
import { CLI } from '../support/built-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-epipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stdout closed under a command', () => {
  it('tandem status --watch ends with exit 0 and nothing on stderr', async () => {
    const path = join(dir, 'tandem.sock');
    const status: ServerStatus = { role: 'backup', replicatorIqn: 'iqn.2026-11.io.tandem:replicator', now: 0, luns: [{ target: 'iqn.2026-11.io.tandem:d', lun: 0, path: '/img/b.img' }] };
    const server = await startControlServer(path, async () => ({ ok: true, result: status }));
    try {
      const child = spawn(process.execPath, [CLI, 'status', '--watch', '--json', '--control', path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await once(child.stdout, 'data');
      // The reader goes away, as head does after its lines.
      child.stdout.destroy();
      const [code] = (await once(child, 'exit')) as [number | null];
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await server.close();
    }
  }, 20_000);
});
