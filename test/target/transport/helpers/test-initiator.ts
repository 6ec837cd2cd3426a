/** A tiny PDU-level initiator for transport tests over a real TCP socket. */
import { connect, type Socket } from 'node:net';
import { lunToField } from '../../../../src/iscsi/pdu/bhs.js';
import { encodeDataOut } from '../../../../src/iscsi/pdu/data-out.js';
import { decodeTargetPdu, type TargetPdu } from '../../../../src/iscsi/pdu/decode.js';
import { encodeLoginRequest } from '../../../../src/iscsi/pdu/login.js';
import { encodeLogoutRequest } from '../../../../src/iscsi/pdu/logout.js';
import { encodeNopOut } from '../../../../src/iscsi/pdu/nop.js';
import { dataDigest, encodeDigest, headerDigest, paddingFor } from '../../../../src/iscsi/pdu/segment.js';
import { encodeScsiCommand } from '../../../../src/iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../../../../src/iscsi/pdu/task-management.js';
import { encodeTextRequest } from '../../../../src/iscsi/pdu/text.js';
import { PduReader, type FramedPdu } from '../../../../src/iscsi/pdu/pdu-reader.js';

export type Received = TargetPdu & { data: Buffer; header: Buffer };

export class TestInitiator {
  cmdSN = 1;
  itt = 1;
  expStatSN = 0;
  tsih = 0;
  closed = false;
  private queue: Received[] = [];
  private waiters: Array<(p: Received | undefined) => void> = [];

  digests = false;
  private readonly reader: PduReader;

  private constructor(readonly socket: Socket) {
    const reader = (this.reader = new PduReader(
      { maxRecvDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false },
      {
        onPdu: (p: FramedPdu) => this.deliver({ ...decodeTargetPdu(p.header), data: Buffer.from(p.data), header: Buffer.from(p.header) }),
        onFatal: () => undefined,
        onDataDigestError: () => undefined,
        onOversizeSegment: () => undefined,
      },
    ));
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<TestInitiator> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new TestInitiator(s)));
      s.once('error', reject);
    });
  }

  private deliver(p: Received): void {
    const w = this.waiters.shift();
    if (w) w(p);
    else this.queue.push(p);
  }

  /**
   * Next PDU from the target, or undefined if none arrives within `ms` (or the socket
   * closed). The default only bounds a wait for a PDU that is due, so it is generous: a
   * loaded machine must not turn a slow answer into a failure. Tests asserting that
   * nothing arrives pass a short `ms`.
   */
  next(ms = 10_000): Promise<Received | undefined> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        resolve(undefined);
      }, ms);
      const w = (p: Received | undefined) => {
        clearTimeout(t);
        resolve(p);
      };
      this.waiters.push(w);
    });
  }

  async expect<K extends Received['kind']>(kind: K, ms = 10_000): Promise<Extract<Received, { kind: K }>> {
    const p = await this.next(ms);
    if (!p) throw new Error(`expected ${kind}, got nothing`);
    if (p.kind !== kind) throw new Error(`expected ${kind}, got ${p.kind} ${JSON.stringify(p.pdu, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    return p as Extract<Received, { kind: K }>;
  }

  /** Switches both directions to CRC32C header and data digests (after a login that negotiated them). */
  useDigests(): void {
    this.digests = true;
    this.reader.setLimits({ maxRecvDataSegmentLength: 1 << 24, headerDigest: true, dataDigest: true });
  }

  send(header: Buffer, data?: Buffer, corruptDataDigest = false): void {
    this.socket.write(header);
    if (this.digests) this.socket.write(encodeDigest(headerDigest(header)));
    if (data && data.length > 0) {
      this.socket.write(data);
      this.socket.write(paddingFor(data.length));
      if (this.digests) this.socket.write(encodeDigest(dataDigest(data) ^ (corruptDataDigest ? 1 : 0)));
    }
  }

  waitClosed(ms = 10_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** A one-request login straight to full feature phase; `keys` are further KEY=VALUE pairs to offer. */
  async login(
    opts: { initiator?: string; target?: string; isid?: Buffer; discovery?: boolean; tsih?: number; keys?: string[] } = {},
  ): Promise<Extract<Received, { kind: 'login-response' }>> {
    const keys = [`InitiatorName=${opts.initiator ?? 'iqn.2026-01.test:client'}`];
    if (opts.discovery) keys.push('SessionType=Discovery');
    else keys.push(`TargetName=${opts.target ?? 'iqn.2026-01.test:fake'}`);
    keys.push(...(opts.keys ?? []));
    const data = Buffer.from(keys.join('\0') + '\0');
    this.send(
      encodeLoginRequest(
        {
          transit: true,
          continue: false,
          csg: 1,
          nsg: 3,
          versionMax: 0,
          versionMin: 0,
          isid: opts.isid ?? Buffer.from([0x40, 0, 0, 0, 0, 1]),
          tsih: opts.tsih ?? 0,
          itt: this.itt++,
          cid: 0,
          cmdSN: this.cmdSN,
          expStatSN: 0,
        },
        data.length,
      ),
      data,
    );
    const r = await this.expect('login-response');
    this.tsih = r.pdu.tsih;
    this.expStatSN = (r.pdu.statSN + 1) >>> 0;
    return r;
  }

  /** Sends a SCSI command; returns its ITT. */
  command(
    cdb: Buffer,
    opts: {
      read?: boolean;
      write?: boolean;
      expectedLength: number;
      immediateData?: Buffer;
      immediate?: boolean;
      final?: boolean;
      cmdSN?: number;
      lun?: number;
      /** The wire's ATTR (RFC 7143 §11.3.1.1): 1 simple (the default), 2 ordered, 3 head of queue. */
      attribute?: number;
    },
  ): number {
    const itt = this.itt++;
    const cdb16 = Buffer.alloc(Math.max(16, cdb.length));
    cdb.copy(cdb16);
    const data = opts.immediateData ?? Buffer.alloc(0);
    const cmdSN = opts.cmdSN ?? (opts.immediate ? this.cmdSN : this.cmdSN++);
    this.send(
      encodeScsiCommand(
        {
          immediate: opts.immediate ?? false,
          final: opts.final ?? true,
          read: opts.read ?? false,
          write: opts.write ?? false,
          attribute: opts.attribute ?? 1,
          lun: lunToField(opts.lun ?? 0),
          itt,
          expectedLength: opts.expectedLength,
          cmdSN,
          expStatSN: this.expStatSN,
          cdb: cdb16,
        },
        data.length,
      ),
      data,
    );
    return itt;
  }

  dataOut(itt: number, ttt: number, dataSN: number, offset: number, data: Buffer, final: boolean): void {
    this.send(encodeDataOut({ final, lun: 0n, itt, ttt, expStatSN: this.expStatSN, dataSN, bufferOffset: offset }, data.length), data);
  }

  nopOut(data: Buffer, opts: { itt?: number; ttt?: number; immediate?: boolean } = {}): number {
    const itt = opts.itt ?? this.itt++;
    const immediate = opts.immediate ?? true;
    this.send(
      encodeNopOut({ immediate, lun: 0n, itt, ttt: opts.ttt ?? 0xffffffff, cmdSN: immediate ? this.cmdSN : this.cmdSN++, expStatSN: this.expStatSN }, data.length),
      data,
    );
    return itt;
  }

  tmf(fn: number, referencedTaskTag = 0xffffffff, refCmdSN = 0): number {
    const itt = this.itt++;
    this.send(
      encodeTaskMgmtRequest({
        immediate: true,
        function: fn,
        lun: 0n,
        itt,
        referencedTaskTag,
        cmdSN: this.cmdSN,
        expStatSN: this.expStatSN,
        refCmdSN,
        expDataSN: 0,
      }),
    );
    return itt;
  }

  text(keys: string): number {
    const itt = this.itt++;
    const data = Buffer.from(keys);
    this.send(
      encodeTextRequest({ immediate: true, final: true, continue: false, lun: 0n, itt, ttt: 0xffffffff, cmdSN: this.cmdSN, expStatSN: this.expStatSN }, data.length),
      data,
    );
    return itt;
  }

  logout(reasonCode = 0): number {
    const itt = this.itt++;
    this.send(encodeLogoutRequest({ immediate: true, reasonCode, itt, cid: 0, cmdSN: this.cmdSN, expStatSN: this.expStatSN }));
    return itt;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function read10(lba: number, blocks: number): Buffer {
  const c = Buffer.alloc(10);
  c[0] = 0x28;
  c.writeUInt32BE(lba, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
}

export function write10(lba: number, blocks: number): Buffer {
  const c = Buffer.alloc(10);
  c[0] = 0x2a;
  c.writeUInt32BE(lba, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
}
