/**
 * A replicated volume's persisted state in memory: every change is written through to
 * `replication.json` (atomically, one save at a time, in order) before it counts, so a
 * crash leaves the previous state or the new one.
 */
import { randomUUID } from 'node:crypto';
import { SerialQueue } from '../util/serial-queue.js';
import { BLANK_GENERATIONS, firstGenerations, type GenerationId, type Generations } from './generations.js';
import { loadVolumeRecord, saveVolumeRecord, type DeviceIdentity, type VolumeIdentity, type VolumeRecord } from './volume-record.js';
import type { ReplicationRole } from './settings.js';

export interface VolumeStateOptions {
  metaDir: string;
  /** The role a new volume starts in (--role); a persisted role wins. */
  initialRole: ReplicationRole;
  /** The identity hosts see on a new primary (the LU's own); a backup adopts its primary's. */
  initialDevice?: DeviceIdentity;
  clock?: () => number;
}

export class VolumeState {
  private readonly saves = new SerialQueue();

  private constructor(
    private readonly metaDir: string,
    private current: VolumeRecord,
    /** The persisted role differed from --role (the caller logs it). */
    readonly roleOverridden: boolean,
  ) {}

  static async open(options: VolumeStateOptions): Promise<VolumeState> {
    const now = (options.clock ?? Date.now)();
    const stored = await loadVolumeRecord(options.metaDir);
    let record: VolumeRecord;
    let changed = false;
    if (!stored) {
      const primary = options.initialRole === 'primary';
      record = {
        volumeId: randomUUID(),
        generation: 1,
        replicaSynced: false,
        role: options.initialRole,
        // A backup holds no history until it adopts its primary's at the first sync.
        generations: primary ? firstGenerations(now) : { ...BLANK_GENERATIONS, history: [] },
        device: primary ? options.initialDevice : undefined,
        resyncFrom: undefined,
        newestWriteAt: undefined,
      };
      changed = true;
    } else {
      // Records from before roles and generations belong to primaries.
      record = { ...stored, role: stored.role ?? 'primary', generations: stored.generations ?? firstGenerations(now) };
      if (record.role === 'primary' && !record.device && options.initialDevice) record.device = options.initialDevice;
      changed = stored.role === undefined || stored.generations === undefined || record.device !== stored.device;
    }
    const state = new VolumeState(options.metaDir, record, stored?.role !== undefined && stored.role !== options.initialRole);
    if (changed) await saveVolumeRecord(options.metaDir, record);
    return state;
  }

  get identity(): VolumeIdentity {
    const { volumeId, generation, replicaSynced } = this.current;
    return { volumeId, generation, replicaSynced };
  }

  get role(): ReplicationRole {
    return this.current.role ?? 'primary';
  }

  get generations(): Generations {
    return this.current.generations;
  }

  get device(): DeviceIdentity | undefined {
    return this.current.device;
  }

  get resyncFrom(): GenerationId | undefined {
    return this.current.resyncFrom;
  }

  get newestWriteAt(): number | undefined {
    return this.current.newestWriteAt;
  }

  get record(): Readonly<VolumeRecord> {
    return this.current;
  }

  /** Applies `change` to the record and persists it; resolves once durable. */
  update(change: (r: VolumeRecord) => Partial<VolumeRecord>): Promise<void> {
    return this.saves.run(async () => {
      const next = { ...this.current, ...change(this.current) };
      await saveVolumeRecord(this.metaDir, next);
      this.current = next;
    });
  }
}
