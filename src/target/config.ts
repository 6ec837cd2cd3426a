/** Static configuration of targets and portals, as `tandem serve` builds it from flags or JSON. */
import type { ChapCredentials } from '../iscsi/chap.js';

export interface LunConfig {
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
  /** Primary role: iscsi://[user:secret@]host[:port]/IQN/LUN of this LUN's backup. */
  replica?: string;
  /** Replication mode for this LUN (default: the server-wide one, else `auto`). */
  replicationMode?: 'continuous' | 'delta' | 'auto';
  /** Continuous mirroring flavour: true = synchronous (default: server-wide, else async). */
  sync?: boolean;
}

export interface TargetConfig {
  iqn: string;
  alias?: string;
  luns: LunConfig[];
  /** Initiator authenticates to us (one-way CHAP). */
  chap?: ChapCredentials;
  /** We authenticate to the initiator (mutual CHAP); requires `chap`. */
  mutualChap?: ChapCredentials;
  /** Initiator IQNs allowed to log in; empty means any. */
  allow: string[];
}

export interface PortalConfig {
  host: string;
  port: number;
}

export interface ServeConfig {
  portals: PortalConfig[];
  targets: TargetConfig[];
  logLevel: string;
  /** Replication role; absent = a plain target. */
  role?: 'primary' | 'backup';
  /** Primary: the initiator name it replicates as. Backup: the only initiator allowed to write. */
  replicatorIqn?: string;
  /** Primary: take over replicas that belong to another volume. */
  startOver?: boolean;
  /** Unix socket of the admin control API (primary and backup roles). */
  control?: string;
}
