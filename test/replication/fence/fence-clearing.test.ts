/**
 * The primary's side of the backup's replicator fence: after a replica-stream command fails,
 * commands issued later wait; once every command that was in flight has settled, one ABORT
 * TASK SET lifts the fence, and only then do the waiting commands go. Failures of commands
 * sent before that clear began are covered by it (no second clear); a failure outside the
 * stream starts none.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { FenceClearing } from '../../../src/replication/fence-clearing.js';

const silent = pino({ level: 'silent' });

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('clearing the backup fence', () => {
  it('waits for the commands in flight, clears once, and holds later commands until then', async () => {
    const events: string[] = [];
    const clear = deferred();
    let clears = 0;
    let reissuesStopped = 0;
    const fence = new FenceClearing(
      {
        clear: () => {
          clears++;
          events.push('clear');
          return clear.promise;
        },
        stopReissues: () => void reissuesStopped++,
      },
      silent,
    );
    const failing = deferred();
    const inFlight = deferred();
    const first = fence.run(() => failing.promise, true).catch((e: Error) => events.push(`first: ${e.message}`));
    const second = fence.run(() => inFlight.promise, true).catch((e: Error) => events.push(`second: ${e.message}`));
    await settle();
    failing.reject(new Error('CHECK CONDITION'));
    await settle();
    expect(fence.pending).toBe(true);
    // What was in flight is not re-issued on a new session if the connection drops now.
    expect(reissuesStopped).toBe(1);
    // Issued after the failure was known: waits.
    const later = fence.run(async () => void events.push('later ran'), true);
    await settle();
    // No clear while a command sent before the failure was known is in flight.
    expect(events).toEqual(['first: CHECK CONDITION']);
    expect(clears).toBe(0);
    // The one in flight is refused by the fence; it was sent before the clear began, so it starts no other clear.
    inFlight.reject(new Error('TASK ABORTED'));
    await settle();
    expect(clears).toBe(1);
    expect(events).toContain('second: TASK ABORTED');
    expect(events).not.toContain('later ran');
    clear.resolve();
    await Promise.all([first, second, later]);
    expect(events[events.length - 1]).toBe('later ran');
    expect(clears).toBe(1);
    expect(fence.pending).toBe(false);
    // A new failure, after the clear: a new clear.
    await expect(fence.run(() => Promise.reject(new Error('again')), true)).rejects.toThrow('again');
    await settle();
    expect(clears).toBe(2);
  });

  it('starts no clear for a failure outside the stream, and goes on after a clear that failed', async () => {
    let clears = 0;
    const fence = new FenceClearing(
      {
        clear: () => {
          clears++;
          return Promise.reject(new Error('no session'));
        },
        stopReissues: () => undefined,
      },
      silent,
    );
    await expect(fence.run(() => Promise.reject(new Error('challenge refused')), false)).rejects.toThrow('challenge refused');
    await settle();
    expect(clears).toBe(0);
    await expect(fence.run(() => Promise.reject(new Error('write failed')), true)).rejects.toThrow('write failed');
    await settle();
    expect(clears).toBe(1);
    expect(fence.pending).toBe(false);
    expect(await fence.run(() => Promise.resolve(7), true)).toBe(7);
  });
});
