import type { Nexus } from '../types.js';

/**
 * SPC-2 RESERVE/RELEASE(6/10): one whole-LU reservation held by one I_T nexus.
 * It does not survive a reset or the loss of its nexus.
 */
export class LegacyReservation {
  private holder: Nexus | undefined;

  get held(): boolean {
    return this.holder !== undefined;
  }

  isHolder(nexus: Nexus): boolean {
    return this.holder !== undefined && this.holder.id === nexus.id;
  }

  /** Reserved by another nexus: everything but the always-allowed commands conflicts. */
  heldByOther(nexus: Nexus): boolean {
    return this.holder !== undefined && this.holder.id !== nexus.id;
  }

  /** False when another nexus holds it (the caller answers RESERVATION CONFLICT). */
  reserve(nexus: Nexus): boolean {
    if (this.heldByOther(nexus)) return false;
    this.holder = nexus;
    return true;
  }

  /** Release by a non-holder is a no-op (SPC-2 §7.17). */
  release(nexus: Nexus): void {
    if (this.isHolder(nexus)) this.holder = undefined;
  }

  clear(): void {
    this.holder = undefined;
  }
}
