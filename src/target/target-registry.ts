/** The targets a server exposes: IQN → its static configuration and SCSI target. */
import type { ScsiTargetPort } from '../scsi/types.js';
import type { TargetConfig } from './config.js';

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
    if (this.byIqn.has(entry.config.iqn)) throw new Error(`duplicate target ${entry.config.iqn}`);
    this.byIqn.set(entry.config.iqn, entry);
  }

  find(iqn: string): TargetEntry | undefined {
    return this.byIqn.get(iqn);
  }

  all(): TargetEntry[] {
    return [...this.byIqn.values()];
  }
}
