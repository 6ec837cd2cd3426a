import { launchTandem } from './tandem-target.js';
import { launchTgtd } from './tgtd-target.js';
import type { TargetKind, TargetSpec, TargetUnderTest } from './target-under-test.js';

export function launchTarget(kind: TargetKind, spec: TargetSpec): Promise<TargetUnderTest> {
  return kind === 'tgtd' ? launchTgtd(spec) : launchTandem(spec);
}
