/** The roles a server's replicated LUNs hold now: a promote or demote changes them, not the role the server started with. */
import type { ReplicationRole } from '../settings.js';
import type { AnyServerStatus } from './handler.js';

/** Each role some replicated LUN holds, in the order primary, backup; the starting role when no LUN is replicated. */
export function heldRoles(status: Pick<AnyServerStatus, 'role' | 'luns'>): ReplicationRole[] {
  const held = new Set(status.luns.flatMap((l) => (l.replication ? [l.replication.role] : [])));
  if (held.size === 0) return status.role ? [status.role] : [];
  return (['primary', 'backup'] as const).filter((r) => held.has(r));
}
