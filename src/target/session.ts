/**
 * An iSCSI session (one I_T nexus). With MaxConnections=1 it has one connection at a time;
 * it owns the CmdSN window and the task set, and tells the SCSI layer when the nexus ends.
 */
import type { TargetConfig } from './config.js';
import { CmdSnWindow } from './cmdsn-window.js';
import type { SessionParams } from '../iscsi/session-params.js';
import type { ScsiTask } from './scsi-task.js';
import type { Nexus, ScsiResult, ScsiTargetPort } from '../scsi/types.js';
import type { SessionAuthentication } from './login-types.js';
import { IntMap } from '../util/int-map.js';

export interface SessionConnection {
  readonly cid: number;
  /** The initiator's address and port, and the portal it came in through (HOST:PORT), for listings. */
  readonly peerAddress?: string;
  readonly portalAddress?: string;
  /** Closes the socket; the session decides separately whether it ends too. */
  drop(reason: string): void;
}

export interface SessionInit {
  tsih: number;
  kind: 'Normal' | 'Discovery';
  initiatorName: string;
  isid: string;
  target?: TargetConfig;
  scsi?: ScsiTargetPort;
  nexus?: Nexus;
  params: SessionParams;
  expCmdSN: number;
  queueDepth: number;
  initiatorAlias?: string;
  authentication?: SessionAuthentication;
  /** Per LU, when the tasks the initiator's ended sessions left running there have settled. */
  lunHolds?: LunHolds;
}

/** Per LU number, a promise that settles once the tasks some ended session left running on it have. */
export type LunHolds = Map<number, Promise<void>>;

/** Per LU, one promise that settles once all of that LU's have. */
export function lunHoldsOf(waits: Iterable<readonly [lun: number, settled: Promise<void>]>): LunHolds {
  const byLun = new Map<number, Promise<void>[]>();
  for (const [lun, settled] of waits) {
    const list = byLun.get(lun);
    if (list) list.push(settled);
    else byLun.set(lun, [settled]);
  }
  return new Map([...byLun].map(([lun, list]) => [lun, list.length === 1 ? list[0]! : Promise.all(list).then(() => undefined)]));
}

export class Session {
  readonly tsih: number;
  readonly kind: 'Normal' | 'Discovery';
  readonly initiatorName: string;
  readonly isid: string;
  readonly target?: TargetConfig;
  readonly scsi?: ScsiTargetPort;
  readonly nexus?: Nexus;
  params: SessionParams;
  readonly initiatorAlias: string | undefined;
  readonly authentication: SessionAuthentication;
  /** When the login completed (ms since the epoch). */
  readonly loggedInAt = Date.now();
  readonly window: CmdSnWindow;
  readonly tasks = new IntMap<ScsiTask>();
  /**
   * Tasks delivered in CmdSN order (or immediate) and not yet done, by ITT: what narrows the
   * CmdSN window. An IntMap, not a Set, for the reason `tasks` is one (util/int-map.ts): a Set
   * of tasks that come and go rebuilds its table, and the dead old tables kept every later
   * task alive through young collections once one full collection had run under load.
   */
  private readonly started = new IntMap<ScsiTask>();
  connection?: SessionConnection;
  ended = false;
  /** Once ended: settles when none of its tasks still runs (a write already handed to the device lands first). */
  drained: Promise<void> = Promise.resolve();
  /** Once ended: per LU, when none of its tasks there still runs. */
  drainedLuns: LunHolds = new Map();
  /**
   * LUs this session's commands wait on before they run: an ended session of the same
   * initiator left tasks running there. Entries go once settled; undefined when there were none.
   */
  private lunHolds: LunHolds | undefined;
  private readonly endListeners: Array<(s: Session) => void> = [];

  constructor(init: SessionInit) {
    this.tsih = init.tsih;
    this.kind = init.kind;
    this.initiatorName = init.initiatorName;
    this.isid = init.isid;
    this.target = init.target;
    this.scsi = init.scsi;
    this.nexus = init.nexus;
    this.params = init.params;
    this.initiatorAlias = init.initiatorAlias;
    this.authentication = init.authentication ?? 'none';
    this.window = new CmdSnWindow(init.expCmdSN, init.queueDepth, () => this.started.size);
    if (init.lunHolds) {
      const holds = (this.lunHolds = new Map(init.lunHolds));
      for (const [lun, hold] of holds) void hold.then(() => holds.delete(lun));
    }
  }

  /** Its CmdSN turn came (or it is immediate); one aborted while it waited stays out. */
  startTask(task: ScsiTask): void {
    if (this.tasks.get(task.itt) !== task) return;
    this.started.set(task.itt, task);
    task.start();
  }

  /** The task left the task set (answered, aborted or failed). */
  taskDone(task: ScsiTask): void {
    if (this.tasks.get(task.itt) === task) this.tasks.delete(task.itt);
    if (this.started.get(task.itt) === task) this.started.delete(task.itt);
  }

  /** What a command to `lun` must wait for before it runs (undefined: nothing). */
  heldLun(lun: number): Promise<void> | undefined {
    return this.lunHolds?.get(lun);
  }

  onEnd(listener: (s: Session) => void): void {
    this.endListeners.push(listener);
  }

  /** Aborts the tasks `filter` selects, without responses (or each with `answer`, see ScsiTask.abort); resolves when none still runs. */
  abortTasks(filter: (t: ScsiTask) => boolean = () => true, answer?: ScsiResult): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const t of [...this.tasks.values()]) if (filter(t)) waits.push(t.abort(answer));
    return Promise.all(waits).then(() => undefined);
  }

  /** Ends the session: tasks aborted, connection dropped, the SCSI layer told. Idempotent. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.drainedLuns = lunHoldsOf([...this.tasks.values()].map((t) => [t.lun, t.abort()] as const));
    this.drained = Promise.all(this.drainedLuns.values()).then(() => undefined);
    const conn = this.connection;
    this.connection = undefined;
    conn?.drop(reason);
    if (this.nexus && this.scsi) this.scsi.nexusLost(this.nexus);
    for (const l of this.endListeners) l(this);
  }
}
