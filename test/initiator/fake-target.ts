/**
 * A scripted iSCSI target for behaviours real targets will not show on demand: a CmdSN
 * window of one, commands that never complete, async logout requests, PDUs out of
 * sequence. Login accepts anything; SCSI commands go to `onCommand`, and any full-feature
 * PDU to `onPdu` first when the test wants to answer it itself.
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
import { encodeReject } from '../../src/iscsi/pdu/reject.js';
import { encodeTaskMgmtResponse } from '../../src/iscsi/pdu/task-management.js';
import { encodeDigest, headerDigest, paddingFor } from '../../src/iscsi/pdu/segment.js';
import type { ScsiCommandPdu } from '../../src/iscsi/pdu/scsi-command.js';
import { PduReader } from '../../src/iscsi/pdu/pdu-reader.js';
import { encodeTextKeys, parseTextKeys, type TextPair } from '../../src/iscsi/text-keys.js';

export class FakeConnection {
  statSN = 1;
  expCmdSN = 1;
  /** MaxCmdSN = ExpCmdSN + windowExtra: 0 means one command at a time. */
  windowExtra = 0;
  readonly received: InitiatorPdu[] = [];

  constructor(readonly socket: Socket) {}

  /** CRC32C header digests, from the end of login when negotiated. */
  headerDigest = false;

  /** One PDU as bytes: header (and its digest), data, padding. */
  frame(header: Buffer, data?: Buffer): Buffer {
    const digest = this.headerDigest ? [encodeDigest(headerDigest(header))] : [];
    return Buffer.concat([header, ...digest, ...(data && data.length > 0 ? [data, paddingFor(data.length)] : [])]);
  }

  send(header: Buffer, data?: Buffer): void {
    this.socket.write(this.frame(header, data));
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
      this.sendDataInPdu(itt, off / segment, bufferOffset + off, piece, off + piece.length >= data.length);
    }
  }

  /** One Data-In PDU as given (status GOOD in it when `last`), in sequence or not. */
  sendDataInPdu(itt: number, dataSN: number, bufferOffset: number, piece: Buffer, last: boolean): void {
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
          dataSN,
          bufferOffset,
          residual: 0,
        },
        piece.length,
      ),
      piece,
    );
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
    this.send(this.nopInPing(ttt));
  }

  /** The header of a NOP-In asking the initiator for a NOP-Out echoing `ttt`. */
  nopInPing(ttt: number): Buffer {
    return encodeNopIn({ lun: 0n, itt: 0xffffffff, ttt, statSN: this.statSN, expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN }, 0);
  }

  /** A Reject of the PDU whose header is `rejected` (carried as the Reject's data segment). */
  reject(reason: number, rejected: Buffer): void {
    this.send(encodeReject({ reason, statSN: this.statSN++, expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN, dataSN: 0 }, rejected.length), rejected);
  }

  taskManagementDone(itt: number): void {
    this.send(encodeTaskMgmtResponse({ response: 0, itt, statSN: this.statSN++, expCmdSN: this.expCmdSN, maxCmdSN: this.maxCmdSN }));
  }
}

export interface FakeTargetBehaviour {
  /** Called for every SCSI command after CmdSN bookkeeping; answer (or not) via conn.respond. */
  onCommand?(conn: FakeConnection, command: ScsiCommandPdu): void;
  onConnection?(conn: FakeConnection): void;
  /** Sees each full-feature PDU (header with its digest-free data) first; true: handled, skip the default. */
  onPdu?(conn: FakeConnection, pdu: InitiatorPdu, header: Buffer, data: Buffer): boolean | void;
  /** A PDU header (no data) written in the same socket write as the final login response, so read with it. */
  afterLogin?(conn: FakeConnection): Buffer | undefined;
  /** Agree to HeaderDigest=CRC32C when the initiator offers it. */
  headerDigest?: boolean;
  /** Leave the initiator's NOP-Out pings unanswered (a hung target). */
  ignorePings?: boolean;
  /**
   * When it returns a redirect, the login request is answered with it (Status-Class 1, detail 1
   * temporarily or 2 permanently moved, TargetAddress as given) and the connection closed.
   */
  redirectLogin?(conn: FakeConnection): { statusDetail: 1 | 2; targetAddress: string } | undefined;
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
          onPdu: ({ header, data }) => handle(conn, reader, header, data, behaviour),
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

  /** What a ReconnectingSession needs to reach this target: no keepalive, quick reconnects. */
  get reconnectingOptions(): { host: string; port: number; targetName: string; timeouts: { nopIntervalMs: number }; reconnect: { initialDelayMs: number } } {
    return { host: '127.0.0.1', port: this.port, targetName: 'iqn.2024-01.x:fake', timeouts: { nopIntervalMs: 0 }, reconnect: { initialDelayMs: 10 } };
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

function handle(conn: FakeConnection, reader: PduReader, header: Buffer, data: Buffer, behaviour: FakeTargetBehaviour): void {
  const pdu = decodeInitiatorPdu(header);
  conn.received.push(pdu);
  if (pdu.kind === 'scsi-command' && !pdu.pdu.immediate) conn.expCmdSN = (pdu.pdu.cmdSN + 1) >>> 0;
  if (pdu.kind !== 'login' && behaviour.onPdu?.(conn, pdu, header, data)) return;
  switch (pdu.kind) {
    case 'login': {
      const p = pdu.pdu;
      const redirect = behaviour.redirectLogin?.(conn);
      if (redirect) {
        const body = encodeTextKeys([{ key: 'TargetAddress', value: redirect.targetAddress }]);
        const header = encodeLoginResponse(
          {
            transit: false,
            continue: false,
            csg: p.csg,
            nsg: 0,
            versionMax: 0,
            versionActive: 0,
            isid: p.isid,
            tsih: 0,
            itt: p.itt,
            statSN: conn.statSN++,
            expCmdSN: conn.expCmdSN,
            maxCmdSN: conn.maxCmdSN,
            statusClass: 1,
            statusDetail: redirect.statusDetail,
          },
          body.length,
        );
        conn.socket.end(conn.frame(header, body));
        return;
      }
      // Agree with every offer as made (legal for each key kind), digests off unless asked for.
      const answer = (k: TextPair): TextPair => {
        switch (k.key) {
          case 'HeaderDigest':
            return { key: k.key, value: behaviour.headerDigest && k.value.split(',').includes('CRC32C') ? 'CRC32C' : 'None' };
          case 'DataDigest':
          case 'AuthMethod':
            return { key: k.key, value: 'None' };
          case 'MaxRecvDataSegmentLength':
            return { key: k.key, value: '8192' };
          default:
            return k;
        }
      };
      const answers = parseTextKeys(data)
        .filter((k) => !['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType'].includes(k.key))
        .map(answer);
      const body = encodeTextKeys(answers);
      const loginHeader = encodeLoginResponse(
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
      const response = conn.frame(loginHeader, body);
      const final = p.transit && p.nsg === 3;
      if (final && answers.some((k) => k.key === 'HeaderDigest' && k.value === 'CRC32C')) {
        conn.headerDigest = true;
        reader.setLimits({ maxRecvDataSegmentLength: 1 << 20, headerDigest: true, dataDigest: false });
      }
      const tail = final ? behaviour.afterLogin?.(conn) : undefined;
      conn.socket.write(tail ? Buffer.concat([response, conn.frame(tail)]) : response);
      return;
    }
    case 'scsi-command':
      behaviour.onCommand?.(conn, pdu.pdu);
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
      conn.taskManagementDone(pdu.pdu.itt);
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
