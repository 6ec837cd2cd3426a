/**
 * iSCSI names are not case sensitive (RFC 7143 §4.2.7.1; RFC 3722 folds case) and the
 * configuration lowercases them (cli/option-checks.ts). An initiator whose name has capitals
 * (ESXi uses the host name as typed) passes an allow list naming it as it is, a TargetName
 * typed as the admin configured it is found, and SendTargets lists it alike. The session
 * keeps the initiator's name as sent, for logs and status.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServeSettings } from '../../../src/cli/serve-options.js';
import { parseTextKeys } from '../../../src/iscsi/text-keys.js';
import { IscsiServer } from '../../../src/target/server.js';
import { FakeScsi } from '../transport/helpers/fake-scsi.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';

const HOST = 'iqn.1998-01.com.vmware:ESX01-5f1a';
const TARGET = 'iqn.2026-11.io.tandem:Disk0';

let server: IscsiServer | undefined;
let client: TestInitiator | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
});

/** A server configured as `tandem serve --iqn TARGET --allow HOST` would be. */
async function connect(): Promise<TestInitiator> {
  const [t] = buildServeSettings({ iqn: TARGET, allow: [HOST], lun: ['./data/unused.img,size=1M'] }).targets;
  server = new IscsiServer({
    targets: [{ config: { iqn: t!.iqn, allow: t!.allow }, scsi: new FakeScsi() }],
    portals: [{ host: '127.0.0.1', port: 0 }],
    nopInterval: 0,
    logger: pino({ level: 'silent' }),
  });
  const [addr] = await server.listen();
  client = await TestInitiator.connect(addr!.port);
  return client;
}

async function loginStatus(initiator: string, target: string): Promise<{ status: number; tsih: number }> {
  const r = await (await connect()).login({ initiator, target });
  return { status: (r.pdu.statusClass << 8) | r.pdu.statusDetail, tsih: r.pdu.tsih };
}

describe('iSCSI names configured and sent with the same letters', () => {
  it('the initiator named exactly as in --allow is let in, and shown as it named itself', async () => {
    const { status, tsih } = await loginStatus(HOST, TARGET.toLowerCase());
    expect(status).toBe(0);
    expect(server!.sessions.get(tsih)?.initiatorName).toBe(HOST);
  });

  it('the target named exactly as in --iqn is found', async () => {
    expect((await loginStatus(HOST.toLowerCase(), TARGET)).status).toBe(0);
  });

  it('an initiator not in --allow, in whatever case, is still refused', async () => {
    expect((await loginStatus('iqn.1998-01.com.vmware:ESX02-5f1a', TARGET.toLowerCase())).status).toBe(0x0202);
  });

  it('SendTargets lists the target for the initiator named as in --allow', async () => {
    const c = await connect();
    expect((await c.login({ initiator: HOST, discovery: true })).pdu.statusClass).toBe(0);
    c.text(`SendTargets=${TARGET}\0`);
    const r = await c.expect('text-response');
    expect(parseTextKeys(r.data).filter((p) => p.key === 'TargetName')).toEqual([{ key: 'TargetName', value: TARGET.toLowerCase() }]);
  });
});
