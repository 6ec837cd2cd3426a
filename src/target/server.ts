/**
 * The iSCSI target server the CLI starts: targets (IQN → config + SCSI target), the
 * portals they are reachable through, and the sessions they carry.
 */
import type { AddressInfo } from 'node:net';
import type { ScsiTargetPort } from '../scsi/types.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { PortalConfig, TargetConfig } from './config.js';
import type { NegotiatorFactory } from './login-phase.js';
import type { LoginEnvironment } from './login-types.js';
import { LoginNegotiator } from './login.js';
import { Portal } from './portal.js';
import { SessionRegistry } from './session-registry.js';
import { TargetRegistry } from './target-registry.js';
import { ByteBudget } from './byte-budget.js';
import { ConnectionSlots } from './connection-slots.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';
import {
  DEFAULT_BUFFER_MEMORY_BYTES,
  DEFAULT_LIMITS,
  DEFAULT_MAX_CONNECTIONS,
  MIN_BUFFER_MEMORY_BYTES,
  type TransportLimits,
} from './transport-limits.js';

export interface IscsiServerOptions {
  targets: Array<{ config: TargetConfig; scsi: ScsiTargetPort }>;
  portals: PortalConfig[];
  /** `HOST:PORT` SendTargets reports instead of the local address a connection came in on. */
  advertiseAddress?: string;
  limits?: Partial<TransportLimits>;
  /** Target Portal Group Tag of every portal (one portal group). Default 1. */
  portalGroupTag?: number;
  /** Seconds between target NOP-In pings (0 disables). Default 5. */
  nopInterval?: number;
  /** Seconds to wait for a ping's answer before dropping the connection. Default 15. */
  nopTimeout?: number;
  /** Seconds a login may take. Default 30. */
  loginTimeout?: number;
  discoveryChap?: LoginEnvironment['discoveryChap'];
  /** Connections held at once, on all portals together (default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** Data-Out and Data-In buffer bytes of all connections together (default DEFAULT_BUFFER_MEMORY_BYTES). */
  bufferMemoryBytes?: number;
  /** Initiators let in over maxConnections (a backup's replicator: hosts filling the slots must not cut the pair). */
  exemptFromConnectionLimit?: (initiatorName: string) => boolean;
  /** Holds back the responses to failed authentications (default: AuthFailureThrottle's defaults; null: none). */
  authFailureThrottle?: AuthFailureThrottle | null;
  /** Replaces the login negotiator (tests). */
  negotiatorFactory?: NegotiatorFactory;
  logger?: Logger;
}

export class IscsiServer {
  readonly targets: TargetRegistry;
  readonly sessions = new SessionRegistry();
  private readonly portals: Portal[];
  private readonly slots: ConnectionSlots;
  private readonly bufferMemory: ByteBudget;
  private listening = false;

  constructor(options: IscsiServerOptions) {
    this.targets = new TargetRegistry(options.targets);
    // PREEMPT AND ABORT aborts other nexuses' tasks through their sessions, as ABORT TASK SET does.
    for (const { config, scsi } of options.targets) {
      scsi.bindTaskAborter?.({ abortTasks: (lun, which, answer) => this.sessions.abortTasks(config.iqn, { lun, which, answer: () => answer }).then(() => undefined) });
    }
    const log = options.logger ?? moduleLogger('iscsi');
    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const bufferMemoryBytes = options.bufferMemoryBytes ?? DEFAULT_BUFFER_MEMORY_BYTES;
    if (bufferMemoryBytes < MIN_BUFFER_MEMORY_BYTES) throw new RangeError(`buffer memory of ${bufferMemoryBytes} bytes is below the ${MIN_BUFFER_MEMORY_BYTES} one connection may use`);
    const slots = (this.slots = new ConnectionSlots(maxConnections));
    const bufferMemory = (this.bufferMemory = new ByteBudget(bufferMemoryBytes));
    const ctx = {
      targets: this.targets,
      sessions: this.sessions,
      portalGroupTag: options.portalGroupTag ?? 1,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      advertiseAddress: options.advertiseAddress,
      nopIntervalMs: (options.nopInterval ?? 5) * 1000,
      nopTimeoutMs: (options.nopTimeout ?? 15) * 1000,
      loginTimeoutMs: (options.loginTimeout ?? 30) * 1000,
      createNegotiator: options.negotiatorFactory ?? ((env: LoginEnvironment) => new LoginNegotiator(env)),
      discoveryChap: options.discoveryChap,
      bufferMemory,
      maxConnections,
      exemptFromConnectionLimit: options.exemptFromConnectionLimit,
      ...(options.authFailureThrottle === null ? {} : { authFailures: options.authFailureThrottle ?? new AuthFailureThrottle() }),
      log,
    };
    this.portals = options.portals.map((p) => new Portal(p, ctx, slots));
  }

  /** The server-wide bounds and what is taken of them, for metrics. */
  resourceUse(): { connections: number; maxConnections: number; refusedConnections: number; bufferMemoryInUse: number; bufferMemoryBytes: number } {
    const memory = this.bufferMemory;
    return {
      connections: this.slots.count,
      maxConnections: this.slots.max,
      refusedConnections: this.slots.refused,
      bufferMemoryInUse: memory.capacity - memory.free,
      bufferMemoryBytes: memory.capacity,
    };
  }

  /** Binds every portal; resolves with the bound addresses (port 0 becomes the real port). */
  async listen(): Promise<AddressInfo[]> {
    const bound: AddressInfo[] = [];
    try {
      for (const p of this.portals) bound.push(await p.listen());
    } catch (e) {
      await Promise.allSettled(this.portals.map((p) => p.close()));
      throw e;
    }
    this.listening = true;
    return bound;
  }

  /** Stops listening and ends every session (the SCSI targets are the caller's to close). */
  async close(): Promise<void> {
    for (const s of this.sessions.all()) s.end('server shutting down');
    await Promise.all(this.portals.map((p) => p.close()));
    this.listening = false;
  }

  get isListening(): boolean {
    return this.listening;
  }
}
