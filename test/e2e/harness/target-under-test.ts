/**
 * The iSCSI target a scenario runs against, behind one interface so every scenario proves
 * Tandem and the reference (tgtd) the same way. Select with E2E_TARGET=tgtd|tandem.
 */
export type TargetKind = 'tgtd' | 'tandem';

export interface Credentials {
  user: string;
  secret: string;
}

export interface LunSpec {
  /** Backing file; created sparse with `sizeBytes` when absent. */
  path: string;
  sizeBytes: number;
  readonly?: boolean;
}

export interface TargetSpec {
  iqn: string;
  luns: LunSpec[];
  /** Initiator must authenticate (CHAP). */
  chap?: Credentials;
  /** Target must authenticate back (mutual CHAP); needs `chap` too. */
  mutualChap?: Credentials;
  /** Address SendTargets should report, e.g. the guest-visible 10.0.2.100:3260. */
  advertise?: string;
  /** Host loopback port; a free one is picked when absent. */
  port?: number;
  /** Tandem only: more `tandem serve` flags (a replication role, its peer, a control socket). */
  extraArgs?: string[];
  /** Where the target process's stdout/stderr go. */
  logFile: string;
}

/** What a target is known to do, so scenarios assert the right thing per target. */
export interface TargetTraits {
  /** UNMAP punches holes in the backing file (thin provisioning). */
  unmapReleasesSpace: boolean;
  /** A refused CHAP login leaves a line in the target's log. */
  logsAuthFailures: boolean;
}

export interface TargetUnderTest {
  readonly kind: TargetKind;
  readonly traits: TargetTraits;
  readonly spec: TargetSpec;
  /** Loopback port it listens on (stable across restart()). */
  readonly port: number;
  /** LUN numbers the initiator sees for spec.luns, in the same order. */
  readonly lunNumbers: number[];
  /** Every LUN REPORT LUNS should list (tgtd adds its controller at LUN 0). */
  readonly reportedLuns: number[];
  /** Process id of the running target, undefined while stopped. */
  readonly pid: number | undefined;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGKILL, as a crash would; the backing files stay. */
  kill(): Promise<void>;
  /** Starts again on the same port with the same configuration. */
  restart(): Promise<void>;
  /** Stops for good (idempotent). */
  stop(): Promise<void>;
  /** Everything the process has logged so far. */
  log(): string;
}

export const targetKinds: readonly TargetKind[] = ['tgtd', 'tandem'];

/**
 * Tandem by default; E2E_TARGET=tgtd runs the same scenarios against the reference target.
 */
export const defaultTargetKind: TargetKind = 'tandem';

export function selectedTargetKind(env: NodeJS.ProcessEnv = process.env): TargetKind {
  const wanted = env.E2E_TARGET ?? defaultTargetKind;
  if (!(targetKinds as readonly string[]).includes(wanted)) {
    throw new Error(`E2E_TARGET=${wanted}: expected one of ${targetKinds.join(', ')}`);
  }
  return wanted as TargetKind;
}
