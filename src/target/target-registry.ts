/** The targets a server exposes: IQN (in any case) → its static configuration and SCSI target. */
import type { ScsiTargetPort } from '../scsi/types.js';
import type { TargetConfig } from './config.js';
import { iscsiNameKey } from './iscsi-name.js';

export interface TargetEntry {
  config: TargetConfig;
  scsi: ScsiTargetPort;
}

export class TargetRegistry {
  private readonly byIqn = new Map<string, TargetEntry>();

  constructor(entries: Iterable<TargetEntry> = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: TargetEntry): void {
    const key = iscsiNameKey(entry.config.iqn);
    if (this.byIqn.has(key)) throw new Error(`duplicate target ${entry.config.iqn}`);
    this.byIqn.set(key, entry);
  }

  find(iqn: string): TargetEntry | undefined {
    return this.byIqn.get(iscsiNameKey(iqn));
  }

  all(): TargetEntry[] {
    return [...this.byIqn.values()];
  }
}
