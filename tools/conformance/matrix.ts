/**
 * The configurations `npm run test:conformance` runs iscsi-test-cu against, so that no test
 * is skipped only because of how the LU was set up. Each names the LU options for Tandem and,
 * where tgt can express the same configuration, its tgtadm parameters.
 */

const MiB = 1024 * 1024;

export interface MatrixConfiguration {
  name: string;
  /** One line for the report and docs/conformance.md. */
  description: string;
  /** iscsi-test-cu --test: the ALL family holds each of the 230 tests once. */
  tests: string;
  /** Pass --allow-sanitize (SANITIZE erases the LU). */
  allowSanitize?: boolean;
  size: number;
  /** How the suite reaches the LU: one session, a second session over the same portal (MultipathIO), or two portals. */
  paths: 'one' | 'two-sessions' | 'two-portals';
  /** `--lun PATH,...` options of Tandem. */
  tandemLun: string[];
  /** A replicated primary (with its backup) instead of a plain target. */
  replicated?: boolean;
  /** The LU on an RBD image of a throw-away one-node Ceph cluster (tgt: its bs_rbd). */
  rbd?: boolean;
  /** tgtadm --params (and --blocksize) for the LU; unsupported when tgt cannot express the configuration (the reason). */
  tgt: { params?: string; blockSize?: number } | { unsupported: string };
  /** Seconds before iscsi-test-cu is killed. */
  timeoutSeconds: number;
}

/** Suites a read-only LU can pass: the rest write, and a write to a read-only LU must fail. */
const READ_ONLY_SUITES = 'ALL.Read*,ALL.Verify*,ALL.Inquiry,ALL.TestUnitReady';

export const MATRIX: readonly MatrixConfiguration[] = [
  {
    name: 'default',
    description: 'the default LU (1 GiB sparse file, fixed media, thin-provisioned); two sessions for MultipathIO',
    tests: 'ALL',
    size: 1024 * MiB,
    paths: 'two-sessions',
    tandemLun: [],
    tgt: {},
    timeoutSeconds: 1200,
  },
  {
    name: 'two-portals',
    description: 'MultipathIO over two portals (two listening ports) to the same LU',
    tests: 'ALL.MultipathIO',
    size: 256 * MiB,
    paths: 'two-portals',
    tandemLun: [],
    tgt: {},
    timeoutSeconds: 300,
  },
  {
    name: 'removable',
    description: 'a removable LU (RMB=1): PREVENT ALLOW MEDIUM REMOVAL, START STOP UNIT with LOEJ',
    tests: 'ALL',
    size: 256 * MiB,
    paths: 'two-sessions',
    tandemLun: ['removable'],
    tgt: { params: 'removable=1' },
    timeoutSeconds: 1200,
  },
  {
    name: 'read-only',
    description: `a read-only LU (DATA PROTECT / WRITE PROTECTED), the suites that do not write: ${READ_ONLY_SUITES}`,
    tests: READ_ONLY_SUITES,
    size: 256 * MiB,
    paths: 'one',
    tandemLun: ['readonly'],
    tgt: { params: 'readonly=1' },
    timeoutSeconds: 600,
  },
  {
    name: 'physical-4k',
    description: '4 KiB physical blocks under 512-byte logical blocks (LBPPB 8, LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT 3)',
    tests: 'ALL',
    size: 256 * MiB,
    paths: 'two-sessions',
    tandemLun: ['physical=4096'],
    // The five LBPPB tests also require a thin-provisioned LU, which tgt LUs are not by default.
    tgt: { params: 'lbppbe=3,thin_provisioning=1' },
    timeoutSeconds: 1200,
  },
  {
    name: 'logical-4k',
    description: '4 KiB logical blocks (a 4Kn disk: READ CAPACITY reports 4096-byte blocks, every length and LBA counts them)',
    tests: 'ALL',
    size: 256 * MiB,
    paths: 'two-sessions',
    tandemLun: ['blocksize=4096'],
    tgt: { blockSize: 4096 },
    timeoutSeconds: 1200,
  },
  {
    name: 'sanitize',
    description: 'SANITIZE with --allow-sanitize (64 MiB encrypted LU, so CRYPTO ERASE applies; OVERWRITE paced at 8 MiB/s so an operation in progress can be observed)',
    tests: 'ALL.Sanitize',
    allowSanitize: true,
    size: 64 * MiB,
    paths: 'one',
    tandemLun: ['sanitize-rate=8M', 'encrypt'],
    tgt: {},
    timeoutSeconds: 900,
  },
  {
    name: 'replicated',
    description: 'a replicated primary (--role primary --replica) mirroring continuously to a backup; two sessions',
    tests: 'ALL',
    size: 256 * MiB,
    paths: 'two-sessions',
    tandemLun: [],
    replicated: true,
    tgt: { unsupported: 'tgt has no replication' },
    timeoutSeconds: 1200,
  },
  {
    name: 'rbd',
    description: 'the LU on a Ceph RBD image (one-node cluster; tgt through bs_rbd); two sessions',
    tests: 'ALL',
    size: 256 * MiB,
    paths: 'two-sessions',
    tandemLun: [],
    rbd: true,
    tgt: {},
    timeoutSeconds: 1500,
  },
];

export function configurationNamed(name: string): MatrixConfiguration {
  const c = MATRIX.find((m) => m.name === name);
  if (!c) throw new Error(`no configuration "${name}" (have: ${MATRIX.map((m) => m.name).join(', ')})`);
  return c;
}
