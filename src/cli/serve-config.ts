/** What `tandem serve` serves: targets with their LUNs, portals, and the replication set-up. */
import type { LunReplicationSettings, ReplicationServerSettings, ReplicationTuning } from '../replication/settings.js';
import type { PortalConfig, TargetConfig } from '../target/config.js';

/** A LUN backed by a Ceph RBD image (`--lun rbd:POOL/IMAGE,...`). */
export interface RbdLunSource {
  pool: string;
  image: string;
  /** ceph.conf path; default: librados' search. */
  conf?: string;
  /** Ceph client id, without "client." (default admin). */
  client?: string;
  /** Seconds before librados fails an op to an unresponsive OSD (ETIMEDOUT); default: the store's, 0: never. */
  opTimeout?: number;
}

export interface LunConfig extends LunReplicationSettings {
  /** The image file, or `rbd:POOL/IMAGE` (then `rbd` says where). */
  path: string;
  rbd?: RbdLunSource;
  /** Where the LUN's local metadata lives; default: beside the file, or ./data/rbd/POOL/IMAGE.tandem. */
  metaDir?: string;
  /** Bytes; creates (or grows) a sparse file, or the RBD image, when it does not exist yet. */
  size?: number;
  readOnly: boolean;
  blockSize: 512 | 4096;
  /**
   * O_DIRECT: the image's reads and writes bypass the host's page cache (tgt's
   * `bsoflags=direct`), for an image the page cache would only duplicate (a block device
   * with a cache of its own, a host that caches itself). Files and block devices only.
   */
  direct?: boolean;
  /**
   * Report removable media (RMB=1): enables PREVENT ALLOW MEDIUM REMOVAL and START STOP UNIT
   * with LOEJ. Off by default, as for LIO and tgt disks: Linux treats removable disks differently.
   */
  removable?: boolean;
  /** Physical block size in bytes (LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT); default: the block size. */
  physicalBlockSize?: number;
  /** Byte rate cap of a SANITIZE OVERWRITE, per second; default: none. */
  sanitizeBytesPerSecond?: number;
  /** Data encrypted at rest (AES-256-XTS, key beside the LUN); enables SANITIZE CRYPTO ERASE. */
  encrypt?: boolean;
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
  /** Connections held at once, all portals together (default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Data-Out and Data-In buffer bytes of all connections together (default DEFAULT_BUFFER_MEMORY_BYTES). */
  bufferMemory?: number;
  replication?: ReplicationTuning;
}
