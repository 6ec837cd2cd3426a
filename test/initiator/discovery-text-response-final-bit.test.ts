/**
 * A SendTargets answer may come in several Text Responses: F=0 says more follows (C=0 with
 * it: the target split its list between whole keys), and the initiator asks for the rest
 * with an empty Text Request carrying the target's TTT. Only F=1 ends the answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/initiator/discovery.js';
import { encodeTextResponse } from '../../src/iscsi/pdu/text.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';

const TTT = 0x77;

function textResponse(conn: FakeConnection, itt: number, final: boolean, body: string): void {
  const data = Buffer.from(body);
  const ttt = final ? 0xffffffff : TTT;
  conn.send(encodeTextResponse({ final, continue: false, lun: 0n, itt, ttt, statSN: conn.statSN++, expCmdSN: conn.expCmdSN, maxCmdSN: conn.maxCmdSN }, data.length), data);
}

describe('SendTargets over two Text Responses', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('asks for the rest after F=0 and lists the targets of both', async () => {
    const requests: Array<{ ttt: number; bytes: number }> = [];
    target = await FakeTarget.start({
      onConnection: (c) => (c.windowExtra = 16),
      onPdu(conn, pdu, _header, data) {
        if (pdu.kind !== 'text') return false;
        requests.push({ ttt: pdu.pdu.ttt, bytes: data.length });
        if (pdu.pdu.ttt === 0xffffffff) textResponse(conn, pdu.pdu.itt, false, 'TargetName=iqn.2024-01.x:a\0TargetAddress=127.0.0.1:3260,1\0');
        else textResponse(conn, pdu.pdu.itt, true, 'TargetName=iqn.2024-01.x:b\0TargetAddress=127.0.0.1:3261,1\0');
        return true;
      },
    });
    const targets = await discover({ host: '127.0.0.1', port: target.port }, { timeouts: { commandMs: 2000 } });
    expect(targets.map((t) => t.iqn)).toEqual(['iqn.2024-01.x:a', 'iqn.2024-01.x:b']);
    expect(requests).toEqual([
      { ttt: 0xffffffff, bytes: expect.any(Number) },
      { ttt: TTT, bytes: 0 },
    ]);
  });
});
