/**
 * A TCP proxy that can break the link between a primary and its backup on demand:
 * cut (reset every connection and refuse new ones), stall (accept and hold bytes, forward
 * nothing), delay (each chunk waits before it is forwarded) and throttle (bytes/s per
 * direction). It counts the bytes it delivers each way, so a test can measure what a
 * delta pass put on the wire.
 *
 * Memory is bounded: each direction queues at most `maxQueuedBytes` and pauses its source
 * beyond that (TCP back-pressure then reaches the sender), and honours the destination's
 * own back-pressure.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface FaultProxyOptions {
  targetHost: string;
  targetPort: number;
  listenHost?: string;
  /** Per direction and connection; the source is paused beyond this. Default 256 KiB. */
  maxQueuedBytes?: number;
}

export interface ProxyCounters {
  /** Bytes delivered client → target (primary → backup). */
  toTarget: number;
  /** Bytes delivered target → client. */
  toClient: number;
  /** Connections accepted (including refused ones while cut). */
  accepted: number;
}

type Direction = 'toTarget' | 'toClient';

const DEFAULT_MAX_QUEUED = 256 * 1024;
/** Throttled writes go out in slices of about this many ms of budget, so the rate is smooth. */
const THROTTLE_SLICE_MS = 20;

export class FaultProxy {
  private readonly sockets = new Set<Socket>();
  private readonly pumps = new Set<Pump>();
  private cutState = false;
  private stallState = false;
  private delayMs = 0;
  private rate: number | undefined;
  readonly counters: ProxyCounters = { toTarget: 0, toClient: 0, accepted: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: FaultProxyOptions,
  ) {}

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer();
    const host = options.listenHost ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no address');
    const proxy = new FaultProxy(server, address.port, options);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get isCut(): boolean {
    return this.cutState;
  }

  get isStalled(): boolean {
    return this.stallState;
  }

  get delay(): number {
    return this.delayMs;
  }

  get throttleBytesPerSec(): number | undefined {
    return this.rate;
  }

  /** Resets every open connection and refuses (resets) new ones until restore(). */
  cut(): void {
    this.cutState = true;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  /** Connections stay open (and new ones are accepted) but nothing is forwarded. */
  stall(): void {
    this.stallState = true;
  }

  /** Each chunk waits this long before it is forwarded (both directions). */
  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Caps each direction of each connection at this many bytes/s; undefined lifts the cap. */
  throttle(bytesPerSec: number | undefined): void {
    if (bytesPerSec !== undefined && !(bytesPerSec > 0)) throw new RangeError(`throttle must be positive, not ${bytesPerSec}`);
    this.rate = bytesPerSec;
    for (const p of this.pumps) p.kick();
  }

  /** Back to a clean link: no cut, stall, delay or throttle. */
  restore(): void {
    this.cutState = false;
    this.stallState = false;
    this.delayMs = 0;
    this.rate = undefined;
    for (const p of this.pumps) p.kick();
  }

  resetCounters(): void {
    this.counters.toTarget = 0;
    this.counters.toClient = 0;
  }

  /** Bytes queued in the proxy right now (for the bounded-buffer check). */
  get queuedBytes(): number {
    let n = 0;
    for (const p of this.pumps) n += p.queued;
    return n;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counters.accepted++;
    if (this.cutState) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: this.options.targetHost, port: this.options.targetPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      // Either side closing or failing ends both: a half-open iSCSI connection is useless.
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    const max = this.options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED;
    const pumps = [new Pump(this, client, upstream, 'toTarget', max), new Pump(this, upstream, client, 'toClient', max)];
    for (const p of pumps) this.pumps.add(p);
    client.once('close', () => pumps.forEach((p) => this.pumps.delete(p)));
  }

  /** @internal for Pump */
  get conditions(): { stalled: boolean; delayMs: number; rate: number | undefined } {
    return { stalled: this.stallState, delayMs: this.delayMs, rate: this.rate };
  }

  /** @internal for Pump */
  count(direction: Direction, bytes: number): void {
    this.counters[direction] += bytes;
  }
}

interface Pending {
  data: Buffer;
  /** When the chunk may be forwarded (arrival + delay at arrival time). */
  readyAt: number;
}

/** One direction of one connection: a bounded queue drained under the proxy's conditions. */
class Pump {
  private readonly queue: Pending[] = [];
  queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  /** Throttle: the earliest time the next byte may leave. */
  private nextFreeAt = 0;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly source: Socket,
    private readonly destination: Socket,
    private readonly direction: Direction,
    private readonly maxQueued: number,
  ) {
    source.on('data', (chunk: Buffer) => {
      this.queue.push({ data: chunk, readyAt: Date.now() + proxy.conditions.delayMs });
      this.queued += chunk.length;
      if (this.queued >= this.maxQueued) source.pause();
      this.kick();
    });
    destination.on('drain', () => {
      this.waitingForDrain = false;
      this.kick();
    });
    source.on('close', () => this.stop());
    destination.on('close', () => this.stop());
  }

  /** Forwards what the conditions allow now, and schedules itself for the rest. */
  kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && !this.waitingForDrain && !this.destination.destroyed) {
      const { stalled, rate } = this.proxy.conditions;
      if (stalled) return;
      const head = this.queue[0]!;
      const now = Date.now();
      if (head.readyAt > now) return this.schedule(head.readyAt - now);
      let piece = head.data;
      if (rate !== undefined) {
        if (this.nextFreeAt > now) return this.schedule(this.nextFreeAt - now);
        const slice = Math.max(512, Math.floor((rate * THROTTLE_SLICE_MS) / 1000));
        if (piece.length > slice) piece = piece.subarray(0, slice);
        this.nextFreeAt = Math.max(now, this.nextFreeAt) + (piece.length * 1000) / rate;
      }
      if (piece.length === head.data.length) this.queue.shift();
      else head.data = head.data.subarray(piece.length);
      this.queued -= piece.length;
      this.proxy.count(this.direction, piece.length);
      if (!this.destination.write(piece)) this.waitingForDrain = true;
      if (this.queued < this.maxQueued / 2 && this.source.isPaused()) this.source.resume();
    }
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, Math.max(1, Math.ceil(ms)));
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queued = 0;
  }
}
