/**
 * A scripted iSCSI target for behaviours real targets will not show on demand: a CmdSN
 * window of one, commands that never complete, async logout requests. Login accepts
 * anything; SCSI commands go to `onCommand`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { decodeInitiatorPdu, type InitiatorPdu } from '../../src/iscsi/pdu/decode.js';
import { encodeAsyncMessage } from '../../src/iscsi/pdu/async-message.js';
import { encodeDataIn } from '../../src/iscsi/pdu/data-in.js';
import { encodeLoginResponse } from '../../src/iscsi/pdu/login.js';
import { encodeLogoutResponse } from '../../src/iscsi/pdu/logout.js';
import { encodeNopIn } from '../../src/iscsi/pdu/nop.js';
import { AsyncEvent } from '../../src/iscsi/pdu/opcodes.js';
import { encodeScsiResponse } from '../../src/iscsi/pdu/scsi-response.js';
import { encodeTaskMgmtResponse } from '../../src/iscsi/pdu/task-management.js';
import { paddingFor } from '../../src/iscsi/pdu/segment.js';
import type { ScsiCommandPdu } from '../../src/iscsi/pdu/scsi-command.js';
import { PduReader } from '../../src/iscsi/pdu/pdu-reader.js';
import { encodeTextKeys, parseTextKeys } from '../../src/iscsi/text-keys.js';

export class FakeConnection {
  statSN = 1;
  expCmdSN = 1;
  /** MaxCmdSN = ExpCmdSN + windowExtra: 0 means one command at a time. */
  windowExtra = 0;
  readonly received: InitiatorPdu[] = [];

  constructor(readonly socket: Socket) {}

  send(header: Buffer, data?: Buffer): void {
    this.socket.write(header);
    if (data && data.length > 0) {
      this.socket.write(data);
      this.socket.write(paddingFor(data.length));
    }
  }

  get maxCmdSN(): number {
    return (this.expCmdSN + this.windowExtra) >>> 0;
  }

  respond(itt: number, status = 0): void {
    this.send(
      encodeScsiResponse(
        {
          bidiOverflow: false,
          bidiUnderflow: false,
          residualOverflow: false,
          residualUnderflow: false,
          response: 0,
          status,
          itt,
          snackTag: 0,
          statSN: this.statSN++,
          expCmdSN: this.expCmdSN,
          maxCmdSN: this.maxCmdSN,
          expDataSN: 0,
          bidiReadResidual: 0,
          residual: 0,
        },
        0,
      ),
    );
  }

  /** Data-In PDUs for `data` in segments of `segment` bytes, status in the last. */
  sendDataIn(itt: number, data: Buffer, segment: number, bufferOffset = 0): void {
    for (let off = 0; off < data.length; off += segment) {
      const piece = data.subarray(off, off + segment);
      const last = off + piece.length >= data.length;
      this.send(
        encodeDataIn(
          {
            final: last,
            acknowledge: false,
            residualOverflow: false,
            residualUnderflow: false,
            statusPresent: last,
            status: 0,
            lun: 0n,
            itt,
            ttt: 0xffffffff,
            statSN: last ? this.statSN++ : 0,
            expCmdSN: this.expCmdSN,
            maxCmdSN: this.maxCmdSN,
            dataSN: off / segment,
            bufferOffset: bufferOffset + off,
            residual: 0,
          },
          piece.length,
        ),
        piece,
      );
    }
  }

  requestLogout(): void {
    this.send(
      encodeAsyncMessage(
        {
          lun: 0n,
          statSN: this.statSN++,
          expCmdSN: this.expCmdSN,
          maxCmdSN: this.maxCmdSN,
          asyncEvent: AsyncEvent.LOGOUT_REQUEST,
          asyncVCode: 0,
          parameter1: 0,
          parameter2: 0,
          parameter3: 5,
        },
        0,
      ),
    );
  }

  pingInitiator(ttt: number): void {
    this.send(encodeNopIn({ lun: 0n, itt: 0xffffffff, ttt, statSN: this.statSN, expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN }, 0));
  }
}

export interface FakeTargetBehaviour {
  /** Called for every SCSI command after CmdSN bookkeeping; answer (or not) via conn.respond. */
  onCommand(conn: FakeConnection, command: ScsiCommandPdu): void;
  onConnection?(conn: FakeConnection): void;
  /** Leave the initiator's NOP-Out pings unanswered (a hung target). */
  ignorePings?: boolean;
}

export class FakeTarget {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly connections: FakeConnection[],
  ) {}

  static async start(behaviour: FakeTargetBehaviour): Promise<FakeTarget> {
    const connections: FakeConnection[] = [];
    const server = createServer((socket) => {
      const conn = new FakeConnection(socket);
      connections.push(conn);
      socket.on('error', () => undefined);
      const reader = new PduReader(
        { maxRecvDataSegmentLength: 1 << 20, headerDigest: false, dataDigest: false },
        {
          onPdu: ({ header, data }) => handle(conn, decodeInitiatorPdu(header), data, behaviour),
          onFatal: () => socket.destroy(),
          onDataDigestError: () => socket.destroy(),
          onOversizeSegment: () => socket.destroy(),
        },
      );
      socket.on('data', (c: Buffer) => reader.push(c));
      behaviour.onConnection?.(conn);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new FakeTarget(server, (server.address() as { port: number }).port, connections);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

function handle(conn: FakeConnection, pdu: InitiatorPdu, data: Buffer, behaviour: FakeTargetBehaviour): void {
  conn.received.push(pdu);
  switch (pdu.kind) {
    case 'login': {
      const p = pdu.pdu;
      // Agree with every offer as made (legal for each key kind), digests off.
      const answers = parseTextKeys(data)
        .filter((k) => !['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType'].includes(k.key))
        .map((k) =>
          k.key === 'HeaderDigest' || k.key === 'DataDigest'
            ? { key: k.key, value: 'None' }
            : k.key === 'AuthMethod'
              ? { key: k.key, value: 'None' }
              : k.key === 'MaxRecvDataSegmentLength'
                ? { key: k.key, value: '8192' }
                : k,
        );
      const body = encodeTextKeys(answers);
      const header = encodeLoginResponse(
        {
          transit: p.transit,
          continue: false,
          csg: p.csg,
          nsg: p.nsg,
          versionMax: 0,
          versionActive: 0,
          isid: p.isid,
          tsih: p.transit && p.nsg === 3 ? 7 : 0,
          itt: p.itt,
          statSN: conn.statSN++,
          expCmdSN: conn.expCmdSN,
          maxCmdSN: conn.maxCmdSN,
          statusClass: 0,
          statusDetail: 0,
        },
        body.length,
      );
      conn.send(header, body);
      return;
    }
    case 'scsi-command':
      if (!pdu.pdu.immediate) conn.expCmdSN = (pdu.pdu.cmdSN + 1) >>> 0;
      behaviour.onCommand(conn, pdu.pdu);
      return;
    case 'nop-out':
      if (pdu.pdu.itt !== 0xffffffff && !behaviour.ignorePings) {
        conn.send(
          encodeNopIn({ lun: 0n, itt: pdu.pdu.itt, ttt: 0xffffffff, statSN: conn.statSN++, expCmdSN: conn.expCmdSN, maxCmdSN: conn.maxCmdSN }, data.length),
          data,
        );
      }
      return;
    case 'task-mgmt':
      conn.send(encodeTaskMgmtResponse({ response: 0, itt: pdu.pdu.itt, statSN: conn.statSN++, expCmdSN: conn.expCmdSN, maxCmdSN: conn.maxCmdSN }));
      return;
    case 'logout':
      conn.send(
        encodeLogoutResponse({
          response: 0,
          itt: pdu.pdu.itt,
          statSN: conn.statSN++,
          expCmdSN: conn.expCmdSN,
          maxCmdSN: conn.maxCmdSN,
          time2Wait: 0,
          time2Retain: 0,
        }),
      );
      conn.socket.end();
      return;
    default:
      return;
  }
}
