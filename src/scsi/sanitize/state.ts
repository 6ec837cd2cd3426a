/**
 * One LU's sanitize state (SBC-3 §4.11): idle, an operation in progress, or failure mode.
 * While an operation runs every command but INQUIRY, REPORT LUNS and REQUEST SENSE gets
 * NOT READY, SANITIZE IN PROGRESS with a progress indication; after a failure the commands
 * that access the medium get MEDIUM ERROR, SANITIZE COMMAND FAILED until a sanitize
 * completes, or EXIT FAILURE MODE if the failed one allowed it (AUSE=1).
 */
import type { BlockDevice } from '../../block/device.js';
import { InflightCounter } from '../../util/inflight-counter.js';
import { moduleLogger } from '../../util/log.js';
import type { CommandDescriptor } from '../descriptor.js';
import { Asc, SenseError, SenseKey, invalidCdbField, type SenseInfo } from '../sense.js';
import { SANITIZE_OPCODE } from './constants.js';
import { SanitizeHalted, runSanitizeMethod, type SanitizeMethod } from './methods.js';
import type { Clock } from './pacer.js';
import { loadSanitizeRecord, removeSanitizeRecord, saveSanitizeRecord } from './record.js';

const log = moduleLogger('scsi');

/** Progress indication is a fraction of this (SPC-4 §4.5.2.4.4). */
const PROGRESS_DENOMINATOR = 0x10000;

export interface SanitizeUnit {
  readonly device: BlockDevice;
  readonly blockSize: number;
  /** Where the operation's record is kept (sanitizeRecordPath). */
  readonly recordPath: string;
  /** Write rate cap for OVERWRITE, bytes per second; undefined: none. */
  readonly bytesPerSecond?: number;
  readonly clock?: Clock;
  /** An encrypted LU's key: what CRYPTO ERASE changes. */
  readonly mediaKey?: { rotate(): Promise<void> };
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'running'; ause: boolean; fraction: number; done: Promise<void> }
  | { kind: 'failed'; ause: boolean };

export function sanitizeFailed(): SenseError {
  return new SenseError({ key: SenseKey.MEDIUM_ERROR, asc: Asc.SANITIZE_COMMAND_FAILED });
}

export class SanitizeState {
  private phase: Phase = { kind: 'idle' };
  private readonly activity = new InflightCounter();
  private halting = false;

  constructor(private readonly unit: SanitizeUnit) {}

  get inProgress(): boolean {
    return this.phase.kind === 'running';
  }

  get failed(): boolean {
    return this.phase.kind === 'failed';
  }

  /** Progress of the running operation as a fraction of 65536, for sense data. */
  progress(): number {
    return this.phase.kind === 'running' ? Math.min(PROGRESS_DENOMINATOR - 1, Math.floor(this.phase.fraction * PROGRESS_DENOMINATOR)) : 0;
  }

  /** Why `d` may not run now, or undefined. Checked when a command arrives and again when it runs. */
  refusal(d: CommandDescriptor): SenseInfo | undefined {
    if (this.phase.kind === 'running' && !d.allowedDuringSanitize) {
      return { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_READY_SANITIZE_IN_PROGRESS, progress: this.progress() };
    }
    if (this.phase.kind === 'failed' && d.accessesMedium && d.opcode !== SANITIZE_OPCODE) {
      return { key: SenseKey.MEDIUM_ERROR, asc: Asc.SANITIZE_COMMAND_FAILED };
    }
    return undefined;
  }

  /** What REQUEST SENSE reports when no unit attention is pending, if the sanitize state has something to say. */
  pendingSense(): SenseInfo | undefined {
    if (this.phase.kind === 'running') {
      return { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_READY_SANITIZE_IN_PROGRESS, progress: this.progress() };
    }
    if (this.phase.kind === 'failed') return { key: SenseKey.MEDIUM_ERROR, asc: Asc.SANITIZE_COMMAND_FAILED };
    return undefined;
  }

  /** Whether `d` counts as medium activity a starting sanitize must wait out. */
  tracks(d: CommandDescriptor): boolean {
    return !d.allowedDuringSanitize && d.opcode !== SANITIZE_OPCODE;
  }

  /** Runs a command's work counted as medium activity. */
  track<T>(op: () => Promise<T>): Promise<T> {
    return this.activity.track(op);
  }

  /**
   * A SANITIZE asking for `ause` may start: not over a restricted failure with AUSE=1
   * (SBC-3 §5.30.1: only a restricted-mode sanitize may end a restricted failure).
   */
  checkStart(ause: boolean): void {
    if (this.phase.kind === 'failed' && !this.phase.ause && ause) throw invalidCdbField(1, 5);
  }

  /**
   * Starts `method` and resolves when it completes; rejects with MEDIUM ERROR, SANITIZE
   * COMMAND FAILED if it fails (the LU is in failure mode then). New commands are refused
   * at once; the medium is touched only after the commands already running have finished.
   */
  start(method: SanitizeMethod, ause: boolean): Promise<void> {
    const phase: Phase & { kind: 'running' } = { kind: 'running', ause, fraction: 0, done: Promise.resolve() };
    this.phase = phase;
    phase.done = this.perform(phase, method);
    // IMMED=1 leaves nobody waiting; the outcome lives on in the phase.
    phase.done.catch(() => undefined);
    return phase.done;
  }

  /** EXIT FAILURE MODE: ends an unrestricted failure; nothing to do when not failed. */
  exitFailureMode(): Promise<void> {
    if (this.phase.kind !== 'failed') return Promise.resolve();
    if (!this.phase.ause) throw invalidCdbField(1, 4);
    this.phase = { kind: 'idle' };
    return removeSanitizeRecord(this.unit.recordPath);
  }

  /** At LU start: resume an operation a shutdown interrupted, or stay in failure mode. */
  restore(): void {
    const record = loadSanitizeRecord(this.unit.recordPath);
    if (!record) return;
    if (record.state === 'failed') {
      this.phase = { kind: 'failed', ause: record.ause };
      log.warn({ path: this.unit.recordPath }, 'logical unit is in sanitize failure mode');
      return;
    }
    log.warn({ path: this.unit.recordPath, method: record.method.kind }, 'resuming an interrupted sanitize operation');
    void this.start(record.method, record.ause);
  }

  /** Resolves once no operation is in progress (whatever its outcome). */
  async idle(): Promise<void> {
    while (this.phase.kind === 'running') await this.phase.done.catch(() => undefined);
  }

  /** Shutdown: stop a running operation between writes, leaving its record to resume from. */
  async halt(): Promise<void> {
    this.halting = true;
    if (this.phase.kind === 'running') await this.phase.done.catch(() => undefined);
  }

  private async perform(phase: Phase & { kind: 'running' }, method: SanitizeMethod): Promise<void> {
    const path = this.unit.recordPath;
    try {
      await saveSanitizeRecord(path, { state: 'running', ause: phase.ause, method });
      await this.activity.idle();
      await runSanitizeMethod(method, {
        device: this.unit.device,
        blockSize: this.unit.blockSize,
        bytesPerSecond: method.kind === 'overwrite' ? this.unit.bytesPerSecond : undefined,
        progress: (f) => (phase.fraction = f),
        stopping: () => this.halting,
        clock: this.unit.clock,
        ...(this.unit.mediaKey ? { mediaKey: this.unit.mediaKey } : {}),
      });
      await removeSanitizeRecord(path);
      this.phase = { kind: 'idle' };
      log.info({ method: method.kind }, 'sanitize operation completed');
    } catch (err) {
      if (err instanceof SanitizeHalted) throw sanitizeFailed();
      log.error({ err, method: method.kind }, 'sanitize operation failed');
      this.phase = { kind: 'failed', ause: phase.ause };
      await saveSanitizeRecord(path, { state: 'failed', ause: phase.ause, method }).catch((e: unknown) =>
        log.error({ err: e }, 'cannot record the sanitize failure'),
      );
      throw sanitizeFailed();
    }
  }
}
