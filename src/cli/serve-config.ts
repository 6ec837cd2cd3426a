/** What `tandem serve` serves: targets with their LUNs, portals, and the replication set-up. */
import type { LunReplicationSettings, ReplicationServerSettings, ReplicationTuning } from '../replication/settings.js';
import type { PortalConfig, TargetConfig } from '../target/config.js';

export interface LunConfig extends LunReplicationSettings {
  path: string;
  /** Bytes; used to create (or grow) a sparse file when the path does not exist yet. */
  size?: number;
  readOnly: boolean;
  blockSize: 512 | 4096;
  /**
   * Report removable media (RMB=1): enables PREVENT ALLOW MEDIUM REMOVAL and START STOP UNIT
   * with LOEJ. Off by default, as for LIO and tgt disks: Linux treats removable disks differently.
   */
  removable?: boolean;
  /** Physical block size in bytes (LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT); default: the block size. */
  physicalBlockSize?: number;
  /** Byte rate cap of a SANITIZE OVERWRITE, per second; default: none. */
  sanitizeBytesPerSecond?: number;
}

export interface ServeTarget extends TargetConfig {
  luns: LunConfig[];
}

export interface ServeSettings extends ReplicationServerSettings {
  portals: PortalConfig[];
  targets: ServeTarget[];
  logLevel: string;
  /** Address:port SendTargets reports instead of the connection's local address (NAT, VMs). */
  advertise?: string;
  /** Where the Prometheus endpoint listens (GET /metrics). */
  metrics?: PortalConfig;
  replication?: ReplicationTuning;
}
