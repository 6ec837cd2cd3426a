/**
 * Whether the replica is this volume's: its volume tag is checked when the link first
 * answers (at open, or later for a backup that was away), a blank or taken-over replica
 * is claimed for a full resynchronisation, and another volume's replica is refused for
 * good. Owns the volume's identity, which binding and the first full sync change.
 */
import { nodeFiles, type DurableFiles } from '../util/durable-file.js';
import type { Logger } from '../util/log.js';
import type { ReplicaLink } from './replica-link.js';
import { ReplicaLinkError } from './replica-link.js';
import { ReplicaMismatchError, bindReplica, markReplicaSynced, type BindOutcome, type VolumeIdentity } from './volume-identity.js';

export interface ReplicaBindingState {
  state: 'bound' | 'pending' | 'refused';
  error?: string | undefined;
}

export class ReplicaBinding {
  private binding: ReplicaBindingState;

  private constructor(
    private readonly metaDir: string,
    private readonly link: ReplicaLink,
    private readonly startOver: boolean,
    private ident: VolumeIdentity,
    bound: boolean,
    private readonly files: DurableFiles,
  ) {
    this.binding = bound ? { state: 'bound' } : { state: 'pending', error: link.health().lastError };
  }

  /**
   * The check at open. An unreachable backup does not keep the primary from serving: the
   * binding stays pending until the link answers. A foreign replica throws
   * ReplicaMismatchError (unless startOver), so the server refuses to start.
   */
  static async atOpen(
    metaDir: string,
    identity: VolumeIdentity,
    link: ReplicaLink,
    startOver: boolean,
    files: DurableFiles = nodeFiles,
  ): Promise<{ binding: ReplicaBinding; outcome: BindOutcome | undefined }> {
    try {
      const bound = await bindReplica(metaDir, identity, link, startOver, files);
      return { binding: new ReplicaBinding(metaDir, link, startOver, bound.identity, true, files), outcome: bound.outcome };
    } catch (e) {
      if (!(e instanceof ReplicaLinkError)) throw e;
      return { binding: new ReplicaBinding(metaDir, link, startOver, identity, false, files), outcome: undefined };
    }
  }

  get identity(): VolumeIdentity {
    return this.ident;
  }

  get state(): ReplicaBindingState {
    return { ...this.binding };
  }

  get bound(): boolean {
    return this.binding.state === 'bound';
  }

  get pending(): boolean {
    return this.binding.state === 'pending';
  }

  /** Throws unless the replica may receive data now. */
  requireBound(): void {
    if (!this.bound) throw new ReplicaLinkError(`the replica is not usable yet: ${this.binding.error ?? this.binding.state}`);
  }

  /**
   * The replica was unreachable at open: check its volume tag now, exactly as open would
   * have. Resolves with 'needs-full-sync' when a blank or taken-over replica must be
   * copied whole; a foreign tag refuses it for good (one error event).
   */
  async bindLate(log: Logger): Promise<BindOutcome | undefined> {
    try {
      const bound = await bindReplica(this.metaDir, this.ident, this.link, this.startOver, this.files);
      this.ident = bound.identity;
      this.binding = { state: 'bound' };
      return bound.outcome;
    } catch (e) {
      if (e instanceof ReplicaMismatchError) {
        this.binding = { state: 'refused', error: e.message };
        log.error({ event: 'replica-refused', error: e.message }, 'replica refused: it belongs to another volume');
        return undefined;
      }
      this.binding = { state: 'pending', error: (e as Error).message };
      return undefined;
    }
  }

  /** The replica now holds a complete image of this generation. */
  async markSynced(): Promise<void> {
    if (!this.ident.replicaSynced) this.ident = await markReplicaSynced(this.metaDir, this.ident, this.files);
  }
}
