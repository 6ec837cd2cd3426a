/** One configuration of the matrix: start its target(s) on free ports, run the suite, clean up. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTandem, startTgt, type RunningTarget, type TargetSpec } from '../harness/target-process.js';
import { startReplicatedTandem } from '../harness/replicated-pair.js';
import { cephMissing, startCephCluster, type CephCluster } from '../harness/ceph-cluster.js';
import type { ConfigurationResult } from './aggregate.js';
import type { MatrixConfiguration } from './matrix.js';
import { parseCunitVerbose, withSpecConflicts } from './parse-cunit.js';
import { iscsiTestCuArgs, runIscsiTestCu } from './suite.js';

export type TargetKind = 'tandem' | 'tgt';

export interface RunOptions {
  target: TargetKind;
  /** Directory for iscsi-test-cu's raw output, one file per configuration. */
  rawDir?: string;
  /** Keep the target logs even when nothing failed. */
  keepLogs?: boolean;
  log(line: string): void;
}

export async function runConfiguration(c: MatrixConfiguration, o: RunOptions): Promise<ConfigurationResult> {
  if (o.target === 'tgt' && 'unsupported' in c.tgt) return { configuration: c.name, unsupported: c.tgt.unsupported };
  const work = mkdtempSync(join(tmpdir(), `tandem-conformance-${c.name}-`));
  const spec: TargetSpec = {
    iqn: `iqn.2026-11.io.tandem:conformance-${c.name}`,
    image: join(work, 'disk.img'),
    size: c.size,
    logFile: join(work, 'target.log'),
    portals: c.paths === 'two-portals' ? 2 : 1,
    lunOptions: c.tandemLun,
    ...('params' in c.tgt && c.tgt.params ? { tgtParams: c.tgt.params } : {}),
    ...('blockSize' in c.tgt && c.tgt.blockSize ? { tgtBlockSize: c.tgt.blockSize } : {}),
  };
  const started = Date.now();
  let target: RunningTarget | undefined;
  let cluster: CephCluster | undefined;
  let keepWork = false;
  if (c.rbd) {
    // Without Ceph the configuration cannot run here; CI installs it and requires it.
    const missing = cephMissing();
    if (missing && !process.env.TANDEM_REQUIRE_CEPH) return { configuration: c.name, unsupported: `no Ceph here: ${missing}` };
  }
  try {
    if (c.rbd) {
      cluster = await startCephCluster();
      const image = `${cluster.pool}/conformance-${c.name}`;
      await cluster.rbd('create', '--size', `${c.size / (1024 * 1024)}M`, image);
      if (o.target === 'tgt') Object.assign(spec, { image, tgtBackingStore: { type: 'rbd', options: `conf=${cluster.conf};id=admin` } });
      else Object.assign(spec, { image: `rbd:${image}`, lunOptions: [...c.tandemLun, `conf=${cluster.conf}`, `meta=${join(work, 'meta')}`] });
    }
    // A read-only LU must exist before it is opened; create it sparse as a writable one would be.
    if (c.tandemLun.includes('readonly')) {
      writeFileSync(spec.image, '');
      truncateSync(spec.image, c.size);
    }
    target = o.target === 'tgt' ? await startTgt(spec) : c.replicated ? await startReplicatedTandem(spec, work) : await startTandem(spec);
    const urls = c.paths === 'one' ? [target.url] : c.paths === 'two-sessions' ? [target.url, target.url] : target.urls;
    o.log(`[${c.name}] iscsi-test-cu ${iscsiTestCuArgs({ ...c, urls }).join(' ')}`);
    const run = await runIscsiTestCu(iscsiTestCuArgs({ ...c, urls }), c.timeoutSeconds * 1000);
    if (o.rawDir) writeFileSync(join(o.rawDir, `${o.target}-${c.name}.txt`), run.output);
    const summary = withSpecConflicts(parseCunitVerbose(run.output), c.name);
    const problem = run.killed ?? (await target.check?.());
    keepWork = Boolean(o.keepLogs) || problem !== undefined || summary.tests.some((t) => t.verdict === 'failed' && !t.specConflict);
    return { configuration: c.name, summary, ...(problem !== undefined ? { error: problem } : {}), seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    keepWork = true;
    return { configuration: c.name, error: (e as Error).message, seconds: (Date.now() - started) / 1000 };
  } finally {
    await target?.stop();
    await cluster?.stop();
    // Images are large and worthless afterwards; logs are worth keeping after a failure.
    for (const image of ['disk.img', 'backup.img']) rmSync(join(work, image), { force: true });
    if (keepWork) o.log(`[${c.name}] target logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}
