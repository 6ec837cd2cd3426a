/**
 * A replicated volume's persisted state in memory: every change is written through to
 * `replication.json` (atomically, one save at a time, in order) before it counts, so a
 * crash leaves the previous state or the new one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import { DEFAULT_PORT_GROUP } from '../replica-protocol/index.js';
import { SerialQueue } from '../util/serial-queue.js';
import { BLANK_GENERATIONS, firstGenerations, type GenerationId, type Generations } from './generations.js';
import { loadVolumeRecord, saveVolumeRecord, type DeviceIdentity, type VolumeIdentity, type VolumeRecord } from './volume-record.js';
import type { ReplicationRole } from './settings.js';

export interface VolumeStateOptions {
  metaDir: string;
  files?: DurableFiles;
  /** The role a new volume starts in (--role); a persisted role wins. */
  initialRole: ReplicationRole;
  /** The identity hosts see on a new primary (the LU's own); a backup adopts its primary's. */
  initialDevice?: DeviceIdentity;
  /** ALUA port group of a new volume (default: 1 created as primary, 2 as backup); a persisted one wins. */
  portGroup?: number;
  clock?: () => number;
}

export class VolumeState {
  private readonly saves = new SerialQueue();

  private constructor(
    private readonly metaDir: string,
    private readonly files: DurableFiles,
    private current: VolumeRecord,
    /** The persisted role differed from --role (the caller logs it). */
    readonly roleOverridden: boolean,
  ) {}

  static async open(options: VolumeStateOptions): Promise<VolumeState> {
    const now = (options.clock ?? Date.now)();
    const files = options.files ?? nodeFiles;
    const stored = await loadVolumeRecord(options.metaDir, files);
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
        device: undefined,
        resyncFrom: undefined,
        newestWriteAt: undefined,
        lastPointId: undefined,
        handingOverTo: undefined,
        portGroup: options.portGroup ?? DEFAULT_PORT_GROUP[options.initialRole],
      };
      changed = true;
    } else {
      // Records from before roles and generations belong to primaries.
      record = { ...stored, role: stored.role ?? 'primary', generations: stored.generations ?? firstGenerations(now) };
      changed = stored.role === undefined || stored.generations === undefined;
    }
    // Volumes from before ALUA take the group of the role they hold now (distinct while the pair has one of each).
    if (record.portGroup === undefined) {
      record.portGroup = options.portGroup ?? DEFAULT_PORT_GROUP[record.role ?? 'primary'];
      changed = true;
    }
    // A primary always has an identity to hand its backup: the LU's own, else one from the volume UUID.
    if (record.role === 'primary' && !record.device) {
      record.device = options.initialDevice ?? deviceIdentityOf(record.volumeId);
      changed = true;
    }
    const state = new VolumeState(options.metaDir, files, record, stored?.role !== undefined && stored.role !== options.initialRole);
    if (changed) await saveVolumeRecord(options.metaDir, record, files);
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

  /** A switchover's hand-over to the peer, unconfirmed (VolumeRecord). */
  get handingOverTo(): GenerationId | undefined {
    return this.current.handingOverTo;
  }

  get newestWriteAt(): number | undefined {
    return this.current.newestWriteAt;
  }

  /** This node's ALUA target port group (also its relative target port: one port per node). */
  get lastPointId(): number {
    return this.current.lastPointId ?? 0;
  }

  get portGroup(): number {
    return this.current.portGroup ?? DEFAULT_PORT_GROUP[this.role];
  }

  get record(): Readonly<VolumeRecord> {
    return this.current;
  }

  /** Applies `change` to the record and persists it; resolves once durable. */
  update(change: (r: VolumeRecord) => Partial<VolumeRecord>): Promise<void> {
    return this.saves.run(async () => {
      const next = { ...this.current, ...change(this.current) };
      await saveVolumeRecord(this.metaDir, next, this.files);
      this.current = next;
    });
  }
}

/**
 * A stable identity derived from the volume UUID: NAA IEEE Registered Extended with a
 * locally assigned (CID) company ID, as the LU's own identity is, and a 16-digit serial.
 */
export function deviceIdentityOf(volumeId: string): DeviceIdentity {
  const h = createHash('sha256').update(`tandem-volume\0${volumeId}`).digest();
  const naa = Buffer.from(h.subarray(0, 16));
  naa[0] = 0x60 | (naa[0]! & 0x0f);
  naa[1] = 0xa0 | (naa[1]! & 0x0f);
  return { naa, serial: h.subarray(16, 24).toString('hex') };
}
