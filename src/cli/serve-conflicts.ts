/**
 * A `tandem serve` configuration that conflicts with itself is a bad configuration (one line,
 * exit 2), not a start that fails on the OS's word (EADDRINUSE, "PATH is in use ... a second
 * tandem serve?"), which blames someone else.
 */
import { resolve } from 'node:path';
import type { PortalConfig } from '../target/config.js';
import { UsageError } from '../util/usage-error.js';
import type { ServeTarget } from './serve-config.js';
import { hostAndPort } from '../util/host-port.js';

export function refuseSelfConflicts(portals: readonly PortalConfig[], metrics: PortalConfig | undefined, targets: readonly ServeTarget[]): void {
  for (const [i, a] of portals.entries()) {
    const b = portals.slice(i + 1).find((p) => clash(a, p));
    if (b) throw new UsageError(`--listen: ${portalText(a)} ${sameHost(a, b) ? 'is given twice' : `and ${portalText(b)} take the same port`}`);
  }
  const taken = metrics && portals.find((p) => clash(p, metrics));
  if (metrics && taken) throw new UsageError(`--metrics: ${portalText(metrics)} takes the port of the iSCSI portal ${portalText(taken)} (--listen)`);
  const luns = targets.flatMap((t) => t.luns);
  for (const [i, a] of luns.entries()) {
    // Read-only uses are not locked against each other; a writable one is locked by its first open.
    const b = luns.slice(i + 1).find((l) => imageKey(l) === imageKey(a) && !(l.readOnly && a.readOnly));
    if (b) throw new UsageError(`--lun ${a.path}: the same image is served twice (once writable)`);
  }
}

/** Two listeners that cannot both bind (port 0 is a fresh port each time). */
function clash(a: PortalConfig, b: PortalConfig): boolean {
  return a.port === b.port && a.port !== 0 && (sameHost(a, b) || covers(a, b) || covers(b, a));
}

const sameHost = (a: PortalConfig, b: PortalConfig): boolean => a.host.toLowerCase() === b.host.toLowerCase();

/** A wildcard address takes the port on every address of its family ("::" on both: Node listens dual-stack). */
const covers = (wildcard: PortalConfig, other: PortalConfig): boolean => wildcard.host === '::' || (wildcard.host === '0.0.0.0' && !other.host.includes(':'));

const portalText = (p: PortalConfig): string => hostAndPort(p.host, p.port);

function imageKey(lun: ServeTarget['luns'][number]): string {
  return lun.rbd ? `rbd:${lun.rbd.pool}/${lun.rbd.image}` : resolve(lun.path);
}
