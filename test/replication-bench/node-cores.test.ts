/**
 * The replication benches' process placement: with 'separate' the bench (so whatever it
 * starts) runs off the last core, a backup pinned alone on it, and the bench gets every
 * core back afterwards; 'shared' changes nothing.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedCpus as allowed, withNodeCores } from '../../tools/bench/node-cores.js';

const cores = availableParallelism();
const all = cores === 1 ? '0' : `0-${cores - 1}`;

describe('withNodeCores', () => {
  it('shared: every core, and pinning a backup does nothing', async () => {
    const seen = await withNodeCores('shared', async (backup) => {
      backup(process.pid);
      return allowed('self');
    });
    expect(seen).toBe(all);
  });

  it('separate: the bench and its children off the last core, the backup alone on it, every core back after (refused on one core)', async () => {
    if (cores < 2) {
      await expect(withNodeCores('separate', async () => undefined)).rejects.toThrow(/at least 2 cores/);
      return;
    }
    const last = String(cores - 1);
    const rest = cores === 2 ? '0' : `0-${cores - 2}`;
    const seen = await withNodeCores('separate', async (backup) => {
      const child = spawn('sleep', ['5']);
      try {
        const started = allowed(child.pid!);
        backup(child.pid!);
        return { bench: allowed('self'), started, backup: allowed(child.pid!) };
      } finally {
        child.kill('SIGKILL');
      }
    });
    expect(seen).toEqual({ bench: rest, started: rest, backup: last });
    expect(allowed('self')).toBe(all);
  });
});
