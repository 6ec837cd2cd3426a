/**
 * An iSCSI session (one I_T nexus). With MaxConnections=1 it has one connection at a time;
 * it owns the CmdSN window and the task set, and tells the SCSI layer when the nexus ends.
 */
import type { TargetConfig } from './config.js';
import { CmdSnWindow } from './cmdsn-window.js';
import type { SessionParams } from '../iscsi/session-params.js';
import type { ScsiTask } from './scsi-task.js';
import type { Nexus, ScsiTargetPort } from '../scsi/types.js';
import { IntMap } from '../util/int-map.js';

export interface SessionConnection {
  readonly cid: number;
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
  readonly window: CmdSnWindow;
  readonly tasks = new IntMap<ScsiTask>();
  connection?: SessionConnection;
  ended = false;
  /** Once ended: settles when none of its tasks still runs (a write already handed to the device lands first). */
  drained: Promise<void> = Promise.resolve();
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
    this.window = new CmdSnWindow(init.expCmdSN, init.queueDepth, () => this.tasks.size);
  }

  onEnd(listener: (s: Session) => void): void {
    this.endListeners.push(listener);
  }

  /** Aborts (without responses) the tasks `filter` selects; resolves when none still runs. */
  abortTasks(filter: (t: ScsiTask) => boolean = () => true): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const t of [...this.tasks.values()]) if (filter(t)) waits.push(t.abort());
    return Promise.all(waits).then(() => undefined);
  }

  /** Ends the session: tasks aborted, connection dropped, the SCSI layer told. Idempotent. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.drained = this.abortTasks();
    const conn = this.connection;
    this.connection = undefined;
    conn?.drop(reason);
    if (this.nexus && this.scsi) this.scsi.nexusLost(this.nexus);
    for (const l of this.endListeners) l(this);
  }
}
