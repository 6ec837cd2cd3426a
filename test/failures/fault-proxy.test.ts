/** The failure tests' FaultProxy: forwards and counts, cuts, stalls with a bounded queue, delays, throttles. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

let sink: Server | undefined;
let proxy: FaultProxy | undefined;
const open: Socket[] = [];

/** A server whose connections call `onData` for each chunk received. */
async function startSink(onData: (socket: Socket, chunk: Buffer) => void): Promise<number> {
  sink = createServer((s) => {
    open.push(s);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => onData(s, c));
  });
  await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', () => r()));
  return (sink.address() as { port: number }).port;
}

function client(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    open.push(s);
    s.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for what a test expects to happen, not a fixed time (generously bounded, for a loaded machine). */
const eventually = (assertion: () => void) => vi.waitFor(assertion, { timeout: 10_000, interval: 10 });

/** Polls on the real event loop (setImmediate is never faked here) until `done`: for fake-timer tests. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

afterEach(async () => {
  vi.useRealTimers();
  for (const s of open.splice(0)) s.destroy();
  await proxy?.close();
  await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  proxy = undefined;
  sink = undefined;
});

test('forwards both ways and counts the bytes delivered in each direction', async () => {
  const port = await startSink((s, c) => s.write(c));
  proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port });
  const c = await client(proxy.port);
  let back = 0;
  c.on('data', (d: Buffer) => (back += d.length));
  c.write(Buffer.alloc(10_000, 7));
  await eventually(() => expect(back).toBe(10_000));
  expect(proxy.counters).toMatchObject({ toTarget: 10_000, toClient: 10_000, accepted: 1 });
});

test('cut resets open connections and refuses new ones until restore', async () => {
  let got = 0;
  const port = await startSink((_, c) => (got += c.length));
  proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port });
  const c = await client(proxy.port);
  c.on('error', () => undefined);
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  proxy.cut();
  await closed;

  const refused = await new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: proxy!.port });
    open.push(s);
    s.on('error', () => resolve(true));
    s.on('close', () => resolve(true));
    s.on('data', () => resolve(false));
  });
  expect(refused).toBe(true);
  expect(got).toBe(0);

  proxy.restore();
  const again = await client(proxy.port);
  again.write(Buffer.alloc(100));
  await eventually(() => expect(got).toBe(100));
});

test('stall forwards nothing and queues a bounded amount, then restore delivers everything', async () => {
  let received = 0;
  const port = await startSink((_, c) => (received += c.length));
  const maxQueuedBytes = 64 * 1024;
  proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port, maxQueuedBytes });
  const c = await client(proxy.port);
  proxy.stall();
  const total = 8 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let sent = 0; sent < total; sent += chunk.length) c.write(chunk);
  // Wait for the queue to reach its mark (the source then pauses), not a fixed time...
  await eventually(() => expect(proxy!.queuedBytes).toBeGreaterThanOrEqual(maxQueuedBytes));
  // ...and give a stall that leaks, or a queue that overruns, a moment to show.
  await sleep(100);
  expect(received).toBe(0);
  // The source pauses at the mark; one socket read (≤ 64 KiB) may overshoot it.
  expect(proxy.queuedBytes).toBeGreaterThan(0);
  expect(proxy.queuedBytes).toBeLessThanOrEqual(maxQueuedBytes + 64 * 1024);
  proxy.restore();
  const deadline = Date.now() + 10_000;
  while (received < total && Date.now() < deadline) await sleep(20);
  expect(received).toBe(total);
});

test('delay holds each chunk back by the configured time', async () => {
  let at = 0;
  const port = await startSink(() => (at = Date.now()));
  proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port });
  const c = await client(proxy.port);
  proxy.setDelay(300);
  const sentAt = Date.now();
  c.write('x');
  // Wait for the delivery itself; a loaded machine can only make it later, never earlier.
  await eventually(() => expect(at).toBeGreaterThan(0));
  expect(at - sentAt).toBeGreaterThanOrEqual(290);
});

test('throttle caps the delivered rate', async () => {
  let received = 0;
  const port = await startSink((_, c) => (received += c.length));
  proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port });
  const c = await client(proxy.port);
  // The proxy's clock and timers are fake (the sockets stay real), so its second of
  // throttling is exactly one second however loaded the machine is.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const rate = 200 * 1024;
  proxy.throttle(rate);
  c.write(Buffer.alloc(1024 * 1024));
  // The queue fills to its mark while the clock stands still: it cannot run dry within the second.
  await until(() => proxy!.queuedBytes >= 256 * 1024, 'the proxy queue to fill');
  for (let ms = 0; ms < 1_000; ms += 10) {
    await vi.advanceTimersByTimeAsync(10);
    await new Promise((r) => setImmediate(r));
  }
  await until(() => received === proxy!.counters.toTarget, 'the sink to receive what the proxy let out');
  // About one second's worth: capped, and still moving (not a stall).
  expect(received).toBeGreaterThan(rate * 0.6);
  expect(received).toBeLessThan(rate * 1.4);
  expect(() => proxy!.throttle(0)).toThrow(RangeError);
});
