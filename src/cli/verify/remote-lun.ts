/**
 * One LUN reached over an iSCSI session: answers challenge lists (its own LIST IDENTIFIER
 * space, since lists belong to the nexus), reads and writes extents for repair.
 */
import { challengeBatch } from '../../initiator/challenge.js';
import { type IscsiSession, type IscsiUrl, type WireStats } from '../../initiator/index.js';
import type { ChallengeEntry, ChallengeVpd } from '../../scsi/vendor/index.js';
import type { Extent } from './plan.js';

export class RemoteLun {
  private nextListId = 1;

  constructor(
    readonly session: IscsiSession,
    readonly url: IscsiUrl,
    readonly blockSize: number,
    readonly totalBlocks: number,
    readonly vpd: ChallengeVpd,
  ) {}

  get lun(): number {
    return this.url.lun;
  }

  get sizeBytes(): number {
    return this.totalBlocks * this.blockSize;
  }

  /** The URL as typed, minus any secret (the IQN stays readable, unlike the percent-encoded canonical form). */
  get describe(): string {
    const u = this.url;
    const user = u.user !== undefined ? `${u.user}${u.secret !== undefined ? ':***' : ''}@` : '';
    const host = u.host.includes(':') ? `[${u.host}]` : u.host;
    return `iscsi://${user}${host}:${u.port}/${u.targetName}/${u.lun}`;
  }

  get stats(): Readonly<WireStats> {
    return this.session.stats;
  }

  /** V_B of each entry, in order. */
  answers(entries: readonly ChallengeEntry[]): Promise<Buffer[]> {
    const listId = this.nextListId;
    this.nextListId = (this.nextListId + 1) >>> 0 || 1;
    return challengeBatch(this.session, this.lun, entries, { listId });
  }

  read(extent: Extent): Promise<Buffer> {
    return this.session.read16(this.lun, extent.lba, extent.blocks);
  }

  write(extent: Extent, data: Buffer): Promise<void> {
    return this.session.write16(this.lun, extent.lba, data);
  }

  flush(): Promise<void> {
    return this.session.synchronizeCache(this.lun);
  }

  async close(): Promise<void> {
    await this.session.logout().catch(() => this.session.destroy('logout failed'));
  }
}
