/**
 * Host I/O for the failure tests: a few concurrent writers on one IscsiSession to the
 * primary, each write's latency measured, every acknowledged write recorded (offset and a
 * digest of its data) so a test can check that nothing acknowledged went missing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { IscsiSession } from '../../src/initiator/index.js';
import { HOST_IQN, PRIMARY_IQN } from './cluster.js';

export const BLOCK = 512;

export interface WriteSpec {
  /** Byte offset, a multiple of 512. */
  offset: number;
  length: number;
}

export interface AckedWrite extends WriteSpec {
  sha256: string;
  ackedAt: number;
}

export interface WriterStats {
  acked: number;
  bytes: number;
  maxLatencyMs: number;
  /** Writes that failed (a host-visible error: the engine promised none). */
  errors: string[];
}

export interface HostWriterOptions {
  port: number;
  /** Concurrent writers (queue depth). */
  depth: number;
  /** The n-th write's extent. */
  next: (n: number) => WriteSpec;
  /** Keep every acknowledged write (memory: one small record each). */
  record?: boolean;
  /** Pause between a writer's writes, to hold a rate (ms). */
  pauseMs?: number;
}

/** Opens a host session on the primary's LUN 0. */
export async function connectHost(port: number): Promise<IscsiSession> {
  const session = await IscsiSession.connect({ host: '127.0.0.1', port, targetName: PRIMARY_IQN, initiatorName: HOST_IQN, timeouts: { commandMs: 30_000 } });
  await session.waitReady(0);
  return session;
}

export class HostWriter {
  readonly stats: WriterStats = { acked: 0, bytes: 0, maxLatencyMs: 0, errors: [] };
  readonly acked: AckedWrite[] = [];
  private stopping = false;
  private issued = 0;
  private readonly done: Promise<void>;

  private constructor(
    readonly session: IscsiSession,
    private readonly options: HostWriterOptions,
  ) {
    this.done = Promise.all(Array.from({ length: options.depth }, () => this.worker())).then(() => undefined);
  }

  static async start(options: HostWriterOptions): Promise<HostWriter> {
    return new HostWriter(await connectHost(options.port), options);
  }

  /** Stops issuing, waits for the writes in flight, and logs out (unless the target is gone). */
  async stop(logout = true): Promise<WriterStats> {
    this.stopping = true;
    await this.done;
    if (logout) await this.session.logout().catch(() => this.session.destroy());
    else this.session.destroy();
    return this.stats;
  }

  /** Stops issuing without waiting (the target is about to be killed). */
  halt(): void {
    this.stopping = true;
  }

  private async worker(): Promise<void> {
    while (!this.stopping) {
      const spec = this.options.next(this.issued++);
      const data = randomBytes(spec.length);
      const started = performance.now();
      try {
        await this.session.write16(0, spec.offset / BLOCK, data);
      } catch (e) {
        if (!this.stopping) this.stats.errors.push((e as Error).message);
        return;
      }
      const latency = performance.now() - started;
      this.stats.acked++;
      this.stats.bytes += spec.length;
      if (latency > this.stats.maxLatencyMs) this.stats.maxLatencyMs = latency;
      if (this.options.record) this.acked.push({ ...spec, sha256: sha256(data), ackedAt: Date.now() });
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Random extents of 4–64 KiB anywhere in `size` bytes, 4 KiB aligned. */
export function randomExtents(size: number, maxLength = 64 * 1024): (n: number) => WriteSpec {
  return () => {
    const length = 4096 * (1 + Math.floor(Math.random() * (maxLength / 4096)));
    const offset = 4096 * Math.floor(Math.random() * ((size - length) / 4096 + 1));
    return { offset, length };
  };
}
