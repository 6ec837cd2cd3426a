/**
 * What one LU has served since the server started, for the metrics endpoint (as LIO's
 * per-LUN statistics): commands and the time they ran, by kind; the bytes reads sent and
 * writes received; commands that ran and failed, and those refused before running. Counted
 * once per command as it settles (a few additions), nothing per byte and nothing logged.
 */
import type { CommandDescriptor } from './descriptor.js';

export type IoKind = 'read' | 'write' | 'other';

/** Reads bring the medium's data in; writes change the medium (WRITE, WRITE SAME, UNMAP...); the rest is other. */
export function ioKindOf(descriptor: CommandDescriptor): IoKind {
  if (descriptor.writesMedium) return 'write';
  return descriptor.direction === 'in' && descriptor.accessesMedium ? 'read' : 'other';
}

export class IoCounters {
  readonly commands: Record<IoKind, number> = { read: 0, write: 0, other: 0 };
  /** Milliseconds commands spent from their start to their result, by kind (average latency: this / commands). */
  readonly busyMs: Record<IoKind, number> = { read: 0, write: 0, other: 0 };
  /** Data-In bytes of reads that succeeded. */
  readBytes = 0;
  /** Data-Out bytes of writes that succeeded. */
  writeBytes = 0;
  /** Commands that ran and ended in an error status (CHECK CONDITION and the like). */
  failed = 0;
  /** Commands answered without running: a unit attention, the ALUA state, a reservation conflict, write protection, a bad CDB. */
  refused = 0;

  record(kind: IoKind, bytes: number, ms: number, ok: boolean): void {
    this.commands[kind]++;
    this.busyMs[kind] += ms;
    if (!ok) this.failed++;
    else if (kind === 'read') this.readBytes += bytes;
    else if (kind === 'write') this.writeBytes += bytes;
  }
}
