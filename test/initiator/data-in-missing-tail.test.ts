/**
 * Data-In PDUs missing from the end of a read leave no hole for the DataSN and offset checks
 * to see: the status comes after the last PDU that did arrive. A GOOD status must account for
 * every byte the command expected (less the residual underflow it reports); anything short is
 * a sequence error, failing the command and dropping the connection, never GOOD with bytes
 * no PDU carried. A shortfall the target declares as underflow is a short read, not an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus, read16Cdb } from '../../src/initiator/cdb.js';
import { IscsiConnectionError } from '../../src/initiator/errors.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { encodeDataIn } from '../../src/iscsi/pdu/data-in.js';
import { encodeScsiResponse } from '../../src/iscsi/pdu/scsi-response.js';
import { FakeTarget, type FakeConnection } from './fake-target.js';

const K = 4096;
const READ_LENGTH = 3 * K;

/** A SCSI Response with `status` and, when `underflow` > 0, that residual underflow. */
function respondWith(conn: FakeConnection, itt: number, status: number, underflow: number): void {
  conn.send(
    encodeScsiResponse(
      {
        bidiOverflow: false,
        bidiUnderflow: false,
        residualOverflow: false,
        residualUnderflow: underflow > 0,
        response: 0,
        status,
        itt,
        snackTag: 0,
        statSN: conn.statSN++,
        expCmdSN: conn.expCmdSN,
        maxCmdSN: conn.maxCmdSN,
        expDataSN: 0,
        bidiReadResidual: 0,
        residual: underflow,
      },
      0,
    ),
  );
}

/** A Data-In carrying GOOD status (S bit) with `underflow` as its residual underflow. */
function dataInWithStatus(conn: FakeConnection, itt: number, dataSN: number, bufferOffset: number, piece: Buffer, underflow: number): void {
  conn.send(
    encodeDataIn(
      {
        final: true,
        acknowledge: false,
        residualOverflow: false,
        residualUnderflow: underflow > 0,
        statusPresent: true,
        status: ScsiStatus.GOOD,
        lun: 0n,
        itt,
        ttt: 0xffffffff,
        statSN: conn.statSN++,
        expCmdSN: conn.expCmdSN,
        maxCmdSN: conn.maxCmdSN,
        dataSN,
        bufferOffset,
        residual: underflow,
      },
      piece.length,
    ),
    piece,
  );
}

/** Two of the read's three 4 KiB Data-In PDUs, in sequence, without status. */
function firstTwoPdus(conn: FakeConnection, itt: number): void {
  conn.sendDataInPdu(itt, 0, 0, Buffer.alloc(K, 1), false);
  conn.sendDataInPdu(itt, 1, K, Buffer.alloc(K, 2), false);
}

describe('Data-In missing from the end of a read', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  async function readThrough(answer: (conn: FakeConnection, itt: number) => void): Promise<{ session: IscsiSession; outcome: unknown }> {
    target = await FakeTarget.start({ onCommand: (conn, command) => answer(conn, command.itt) });
    const session = await IscsiSession.connect({ host: '127.0.0.1', port: target.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 } });
    const outcome = await session.command({ lun: 0, cdb: read16Cdb(0, READ_LENGTH / 512), dataInLength: READ_LENGTH }).then(
      (r) => r,
      (e: unknown) => e,
    );
    return { session, outcome };
  }

  it('fails the command and drops the connection: GOOD in a separate SCSI Response, no residual', async () => {
    const { session, outcome } = await readThrough((conn, itt) => {
      firstTwoPdus(conn, itt);
      respondWith(conn, itt, ScsiStatus.GOOD, 0);
    });
    expect(outcome).toBeInstanceOf(IscsiConnectionError);
    expect((outcome as Error).message).toMatch(/protocol error: ITT \d+ completed with 4096 bytes of its Data-In never sent/);
    expect(session.isOpen).toBe(false);
  });

  it('fails the command and drops the connection: GOOD in the last Data-In that came (S bit), no residual', async () => {
    const { session, outcome } = await readThrough((conn, itt) => {
      conn.sendDataInPdu(itt, 0, 0, Buffer.alloc(K, 1), false);
      dataInWithStatus(conn, itt, 1, K, Buffer.alloc(K, 2), 0);
    });
    expect(outcome).toBeInstanceOf(IscsiConnectionError);
    expect((outcome as Error).message).toMatch(/completed with 4096 bytes of its Data-In never sent/);
    expect(session.isOpen).toBe(false);
  });

  it('fails the command when the residual underflow accounts for only part of what is missing', async () => {
    const { outcome } = await readThrough((conn, itt) => {
      conn.sendDataInPdu(itt, 0, 0, Buffer.alloc(K, 1), false);
      respondWith(conn, itt, ScsiStatus.GOOD, K);
    });
    expect(outcome).toBeInstanceOf(IscsiConnectionError);
    expect((outcome as Error).message).toMatch(/completed with 4096 bytes of its Data-In never sent/);
  });

  it('completes a short read whose residual underflow accounts for the bytes not sent (SCSI Response)', async () => {
    const { session, outcome } = await readThrough((conn, itt) => {
      firstTwoPdus(conn, itt);
      respondWith(conn, itt, ScsiStatus.GOOD, K);
    });
    expect(outcome).toMatchObject({ status: ScsiStatus.GOOD, residual: K, residualOverflow: false });
    expect((outcome as { dataIn: Buffer }).dataIn).toEqual(Buffer.concat([Buffer.alloc(K, 1), Buffer.alloc(K, 2)]));
    expect(session.isOpen).toBe(true);
    await session.logout();
  });

  it('completes a short read whose residual underflow accounts for the bytes not sent (S bit)', async () => {
    const { session, outcome } = await readThrough((conn, itt) => {
      conn.sendDataInPdu(itt, 0, 0, Buffer.alloc(K, 1), false);
      dataInWithStatus(conn, itt, 1, K, Buffer.alloc(K, 2), K);
    });
    expect(outcome).toMatchObject({ status: ScsiStatus.GOOD, residual: K });
    expect((outcome as { dataIn: Buffer }).dataIn).toEqual(Buffer.concat([Buffer.alloc(K, 1), Buffer.alloc(K, 2)]));
    expect(session.isOpen).toBe(true);
    await session.logout();
  });

  it('completes a CHECK CONDITION that sent no data and no residual (its data is not the result)', async () => {
    const { session, outcome } = await readThrough((conn, itt) => respondWith(conn, itt, ScsiStatus.CHECK_CONDITION, 0));
    expect(outcome).toMatchObject({ status: ScsiStatus.CHECK_CONDITION });
    expect(session.isOpen).toBe(true);
    await session.logout();
  });
});
