/**
 * What the OSD-outage tests share: a Tandem server on the test cluster's RBD images,
 * initiator sessions that ping every second (one ping unanswered for 10 s ends the
 * connection, and so the test), and the cluster's one OSD killed and restarted. The hooks
 * restart an OSD a failed test left down before closing the server, whose close waits for
 * librbd's ops, which wait for the OSD.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { CephCluster } from '../../tools/harness/ceph-cluster.js';
import { IscsiSession } from '../../src/initiator/index.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { setLogLevel } from '../../src/util/log.js';

export interface OutageServerOptions {
  iqn: string;
  /** The initiator's bound on each command. */
  commandMs: number;
  /** `--lun` values; `dir` is a private directory for their `meta=`. */
  luns: (cluster: CephCluster, dir: string) => string[];
}

export interface OutageServer {
  /** A session logged in and ready on `luns`, logged out after the tests. */
  connect(name: string, luns: number[]): Promise<IscsiSession>;
  /** SIGKILLs the OSD; its pid. */
  killOsd(): Promise<number>;
  startOsd(): Promise<void>;
}

/** Registers the hooks (inside a describeWithCeph body) and returns the server's handles. */
export function rbdOutageServer(cluster: () => CephCluster, o: OutageServerOptions): OutageServer {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-rbd-outage-'));
  const sessions: IscsiSession[] = [];
  let server: RunningServer | undefined;
  let port = 0;
  let osdDown = false;

  beforeAll(async () => {
    setLogLevel('warn');
    server = await startServer(buildServeSettings({ listen: ['127.0.0.1:0'], iqn: o.iqn, lun: o.luns(cluster(), dir), logLevel: 'warn' }));
    port = Number(server.addresses[0]!.split(':').pop());
  }, 60_000);

  afterAll(async () => {
    if (osdDown) await cluster().startOsd().catch((e: unknown) => console.error(e));
    for (const s of sessions) await s.logout().catch(() => s.destroy());
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  return {
    async connect(name, luns) {
      const s = await IscsiSession.connect({
        host: '127.0.0.1',
        port,
        targetName: o.iqn,
        initiatorName: `iqn.2026-11.example:${name}`,
        timeouts: { commandMs: o.commandMs, nopIntervalMs: 1_000, nopTimeoutMs: 10_000 },
      });
      sessions.push(s);
      for (const lun of luns) await s.waitReady(lun);
      return s;
    },
    async killOsd() {
      osdDown = true;
      return cluster().killOsd();
    },
    async startOsd() {
      await cluster().startOsd();
      osdDown = false;
    },
  };
}
