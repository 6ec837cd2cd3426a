import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ports for servers that must be named before they listen: two nodes naming each other, a
 * child process told its port, tgtd, a Ceph cluster. A port the kernel chose for listen(0)
 * and that was released at once may be handed out again by the kernel — as an outgoing
 * connection's source port, to another listen(0) — before the server binds it: EADDRINUSE,
 * once in a few hundred runs of the suite. These come instead from below the kernel's
 * ephemeral range, which it never hands out by itself, and each vitest worker takes them in
 * turn from a slice of its own (VITEST_POOL_ID; its child processes share it, from another
 * starting point), so two workers running at once never pick the same port. Each is checked
 * free before it is handed out (a server a previous test left, another program).
 */
const RANGE_START = 10_000;
const SLICE = 256;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > RANGE_START + SLICE ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const slices = Math.floor((ephemeralLow() - RANGE_START) / SLICE);
/** Slice 0 for processes outside vitest (a bench, a soak), 1.. for its workers. */
const pool = Number(process.env.VITEST_POOL_ID ?? 0);
const sliceStart = RANGE_START + (Number.isInteger(pool) && pool > 0 ? 1 + ((pool - 1) % (slices - 1)) : 0) * SLICE;
/** Where this process goes on in its slice: apart from its parent's and children's. */
let cursor = (process.pid * 37) % SLICE;

/** A TCP port no other worker of the suite hands out, free when this resolves. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return freePortRange(1, host);
}

/** The first of `count` consecutive ports (at most a slice), free when this resolves. */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  if (count < 1 || count > SLICE) throw new RangeError(`${count} consecutive ports: at most ${SLICE}`);
  for (let tried = 0; tried < SLICE; tried += count) {
    if (cursor + count > SLICE) cursor = 0;
    const first = sliceStart + cursor;
    cursor += count;
    let free = true;
    for (let p = first; p < first + count && free; p++) free = await portFree(p, host);
    if (free) return first;
  }
  throw new Error(`no ${count} free consecutive ports in ${sliceStart}-${sliceStart + SLICE - 1}`);
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host, port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`target process exited before listening on ${host}:${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}
