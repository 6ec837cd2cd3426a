/** Starts an IscsiServer on 127.0.0.1:0 with the fake SCSI target and the fake negotiator. */
import { pino } from 'pino';
import type { SessionParams } from '../../../../src/iscsi/session-params.js';
import { IscsiServer } from '../../../../src/target/server.js';
import { FakeScsi } from './fake-scsi.js';
import { fakeNegotiatorFactory } from './fake-negotiator.js';

export interface TestServer {
  server: IscsiServer;
  scsi: FakeScsi;
  port: number;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: { params?: Partial<SessionParams>; nopInterval?: number; nopTimeout?: number; advertiseAddress?: string; maxConnections?: number; exempt?: (initiatorName: string) => boolean } = {},
): Promise<TestServer> {
  const scsi = new FakeScsi();
  const server = new IscsiServer({
    targets: [{ config: { iqn: scsi.name, allow: [] }, scsi }],
    portals: [{ host: '127.0.0.1', port: 0 }],
    negotiatorFactory: fakeNegotiatorFactory(opts.params),
    nopInterval: opts.nopInterval ?? 0,
    nopTimeout: opts.nopTimeout ?? 15,
    advertiseAddress: opts.advertiseAddress,
    ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
    ...(opts.exempt ? { exemptFromConnectionLimit: opts.exempt } : {}),
    logger: pino({ level: process.env.TANDEM_TEST_LOG ?? 'silent' }),
  });
  const [addr] = await server.listen();
  return { server, scsi, port: addr!.port, close: () => server.close() };
}
