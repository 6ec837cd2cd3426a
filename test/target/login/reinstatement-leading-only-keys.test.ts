/**
 * A login with a non-zero TSIH (connection reinstatement, RFC 7143 §6.3.4) is not the
 * session's leading login. Its leading-only keys ("LO", §13: they "MUST only be carried on
 * the leading connection and cannot be changed after the leading connection login ... This
 * holds for a single connection session with regard to connection restart") were answered
 * with negotiated values the session then never applied; they are now answered Irrelevant,
 * the session's values staying, while its connection-only keys negotiate as ever.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTextKeys } from '../../../src/iscsi/text-keys.js';
import { LoginNegotiator } from '../../../src/target/login.js';
import { IscsiServer } from '../../../src/target/server.js';
import { FakeScsi } from '../transport/helpers/fake-scsi.js';
import { TestInitiator } from '../transport/helpers/test-initiator.js';
import { answers, captureLogger, INITIATOR, makeEnv, request, status, TARGET } from './helpers.js';

const LEADING_ONLY = {
  MaxConnections: '1',
  InitialR2T: 'Yes',
  ImmediateData: 'No',
  MaxBurstLength: '131072',
  FirstBurstLength: '65536',
  DefaultTime2Wait: '2',
  DefaultTime2Retain: '0',
  MaxOutstandingR2T: '1',
  DataPDUInOrder: 'Yes',
  DataSequenceInOrder: 'Yes',
  ErrorRecoveryLevel: '0',
};
const CONNECTION_ONLY = { HeaderDigest: 'CRC32C,None', DataDigest: 'None', MaxRecvDataSegmentLength: '65536' };

function loginWith(tsih: number) {
  const login = new LoginNegotiator(makeEnv(), { logger: captureLogger().logger });
  const r = login.step(request({ tsih, csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, ...LEADING_ONLY, ...CONNECTION_ONLY } }));
  return { login, r };
}

describe('leading-only keys on a reinstated connection', () => {
  it('are answered Irrelevant; the connection-only keys negotiate', () => {
    const { login, r } = loginWith(5);
    expect(status(r)).toBe(0);
    const a = answers(r);
    for (const key of Object.keys(LEADING_ONLY)) expect(a[key], key).toBe('Irrelevant');
    expect(a).toMatchObject({ HeaderDigest: 'CRC32C', DataDigest: 'None', MaxRecvDataSegmentLength: '262144' });
    expect(login.done).toBe(true);
    expect(login.outcome?.params).toMatchObject({ headerDigest: true, maxSendDataSegmentLength: 65536 });
  });

  it('are negotiated on a leading login (TSIH 0)', () => {
    const { r } = loginWith(0);
    expect(answers(r)).toMatchObject({ InitialR2T: 'Yes', ImmediateData: 'No', MaxBurstLength: '131072', MaxConnections: '1', ErrorRecoveryLevel: '0' });
  });

  it('offered twice, end the login as any repeated key does', () => {
    const login = new LoginNegotiator(makeEnv(), { logger: captureLogger().logger });
    login.step(request({ tsih: 5, csg: 1, nsg: 3, keys: { InitiatorName: INITIATOR, TargetName: TARGET, MaxBurstLength: '131072' } }));
    expect(status(login.step(request({ tsih: 5, csg: 1, nsg: 3, keys: { MaxBurstLength: '131072' } })))).toBe(0x0200);
  });
});

describe('a reinstated connection through the server', () => {
  let server: IscsiServer | undefined;
  const open: TestInitiator[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server?.close();
    server = undefined;
  });

  it('is told Irrelevant for the leading-only keys it resends, and the session keeps its values', async () => {
    const scsi = new FakeScsi();
    server = new IscsiServer({
      targets: [{ config: { iqn: scsi.name, allow: [] }, scsi }],
      portals: [{ host: '127.0.0.1', port: 0 }],
      nopInterval: 0,
      logger: pino({ level: 'silent' }),
    });
    const [addr] = await server.listen();
    const isid = Buffer.from([0x40, 0, 0, 0, 0, 9]);
    const first = await TestInitiator.connect(addr!.port);
    open.push(first);
    const ok = await first.login({ isid, keys: ['InitialR2T=No', 'MaxBurstLength=65536', 'FirstBurstLength=32768'] });
    const tsih = ok.pdu.tsih;
    expect(server.sessions.get(tsih)?.params).toMatchObject({ initialR2T: false, maxBurstLength: 65536, firstBurstLength: 32768 });

    const again = await TestInitiator.connect(addr!.port);
    open.push(again);
    const r = await again.login({ isid, tsih, keys: ['InitialR2T=Yes', 'MaxBurstLength=262144', 'FirstBurstLength=65536'] });
    expect([r.pdu.statusClass, r.pdu.statusDetail]).toEqual([0, 0]);
    expect(Object.fromEntries(parseTextKeys(r.data).map((p) => [p.key, p.value]))).toMatchObject({
      InitialR2T: 'Irrelevant',
      MaxBurstLength: 'Irrelevant',
      FirstBurstLength: 'Irrelevant',
    });
    expect(server.sessions.get(tsih)?.params).toMatchObject({ initialR2T: false, maxBurstLength: 65536, firstBurstLength: 32768 });
  });
});
