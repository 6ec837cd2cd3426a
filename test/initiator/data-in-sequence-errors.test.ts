/**
 * With DataPDUInOrder=Yes and DataSequenceInOrder=Yes (what the initiator offers), a
 * command's Data-In PDUs carry DataSN 0, 1, 2... at contiguous offsets. A gap means a PDU
 * went missing (a sequence error, unrecoverable at ErrorRecoveryLevel 0): the command must
 * fail and the connection drop, never complete GOOD with bytes no PDU carried.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { read16Cdb } from '../../src/initiator/cdb.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { FakeTarget } from './fake-target.js';

const K = 4096;

/** [DataSN, offset] of each Data-In sent for a 12 KiB read, status in the last. */
const SEQUENCES: Array<[string, Array<[number, number]>]> = [
  ['a PDU missing (DataSN and offset skip)', [[0, 0], [2, 2 * K]]],
  ['a DataSN skipped at the next offset', [[0, 0], [2, K], [3, 2 * K]]],
  ['an offset skipped with the next DataSN', [[0, 0], [1, 2 * K]]],
  ['a PDU repeated', [[0, 0], [0, 0], [1, K], [2, 2 * K]]],
];

describe('Data-In out of sequence', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  for (const [name, sequence] of SEQUENCES) {
    it(`fails the command and drops the connection: ${name}`, async () => {
      target = await FakeTarget.start({
        onCommand(conn, command) {
          sequence.forEach(([dataSN, offset], i) => conn.sendDataInPdu(command.itt, dataSN, offset, Buffer.alloc(K, i + 1), i === sequence.length - 1));
        },
      });
      const session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
      const outcome = await session.command({ lun: 0, cdb: read16Cdb(0, 24), dataInLength: 3 * K }).then(
        (r) => `status ${r.status} with ${r.dataIn?.length} bytes`,
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(IscsiConnectionError);
      expect((outcome as Error).message).toMatch(/protocol error/);
      expect(session.isOpen).toBe(false);
    });
  }
});
