import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDataSegmentLength } from '../../../src/iscsi/pdu/bhs.js';
import { decodeAsyncMessage, encodeAsyncMessage } from '../../../src/iscsi/pdu/async-message.js';
import { decodeDataIn, encodeDataIn } from '../../../src/iscsi/pdu/data-in.js';
import { decodeDataOut, encodeDataOut } from '../../../src/iscsi/pdu/data-out.js';
import { decodeInitiatorPdu, decodeTargetPdu } from '../../../src/iscsi/pdu/decode.js';
import { decodeLoginRequest, decodeLoginResponse, encodeLoginRequest, encodeLoginResponse } from '../../../src/iscsi/pdu/login.js';
import { decodeLogoutRequest, decodeLogoutResponse, encodeLogoutRequest, encodeLogoutResponse } from '../../../src/iscsi/pdu/logout.js';
import { decodeNopIn, decodeNopOut, encodeNopIn, encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { RESERVED_TAG } from '../../../src/iscsi/pdu/opcodes.js';
import { decodeR2t, encodeR2t } from '../../../src/iscsi/pdu/r2t.js';
import { decodeReject, encodeReject } from '../../../src/iscsi/pdu/reject.js';
import { decodeScsiCommand, encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { decodeScsiResponse, encodeScsiResponse, decodeSenseSegment, encodeSenseSegment } from '../../../src/iscsi/pdu/scsi-response.js';
import {
  decodeTaskMgmtRequest,
  decodeTaskMgmtResponse,
  encodeTaskMgmtRequest,
  encodeTaskMgmtResponse,
} from '../../../src/iscsi/pdu/task-management.js';
import { decodeTextRequest, decodeTextResponse, encodeTextRequest, encodeTextResponse } from '../../../src/iscsi/pdu/text.js';
import { bool, bytes, dataLength, lun, residualFlags, u16, u32, u8 } from './arbitraries.js';

const runs = { numRuns: 200 };

describe('PDU encode → decode round trips', () => {
  it('SCSI Command, including extended CDBs and bidi AHS', () => {
    fc.assert(
      fc.property(
        fc.record({
          immediate: bool,
          final: bool,
          read: bool,
          write: bool,
          attribute: fc.integer({ min: 0, max: 7 }),
          lun,
          itt: u32,
          expectedLength: u32,
          cmdSN: u32,
          expStatSN: u32,
          cdb: bytes(16, 260),
        }),
        fc.option(u32, { nil: undefined }),
        dataLength,
        (base, bidi, len) => {
          const p = bidi === undefined ? base : { ...base, bidiReadLength: bidi };
          const header = encodeScsiCommand(p, len);
          expect(readDataSegmentLength(header)).toBe(len);
          const back = decodeScsiCommand(header);
          expect(back).toEqual({ ...p, cdb: p.cdb });
          expect(decodeInitiatorPdu(header).kind).toBe('scsi-command');
        },
      ),
      runs,
    );
  });

  it('SCSI Response and its sense segment', () => {
    fc.assert(
      fc.property(
        fc.record({
          response: u8,
          status: u8,
          itt: u32,
          snackTag: u32,
          statSN: u32,
          expCmdSN: u32,
          maxCmdSN: u32,
          expDataSN: u32,
          bidiReadResidual: u32,
          residual: u32,
        }),
        residualFlags,
        residualFlags,
        bytes(0, 252),
        (f, [o, u], [bo, bu], sense) => {
          const p = { ...f, residualOverflow: o, residualUnderflow: u, bidiOverflow: bo, bidiUnderflow: bu };
          expect(decodeScsiResponse(encodeScsiResponse(p, 0))).toEqual(p);
          expect(decodeSenseSegment(encodeSenseSegment(sense))).toEqual(sense);
        },
      ),
      runs,
    );
  });

  it('Data-Out and Data-In', () => {
    fc.assert(
      fc.property(
        fc.record({ final: bool, lun, itt: u32, ttt: u32, expStatSN: u32, dataSN: u32, bufferOffset: u32 }),
        dataLength,
        (p, len) => {
          const h = encodeDataOut(p, len);
          expect(decodeDataOut(h)).toEqual(p);
          expect(readDataSegmentLength(h)).toBe(len);
        },
      ),
      runs,
    );
    fc.assert(
      fc.property(
        fc.record({
          acknowledge: bool,
          status: u8,
          lun,
          itt: u32,
          ttt: u32,
          statSN: u32,
          expCmdSN: u32,
          maxCmdSN: u32,
          dataSN: u32,
          bufferOffset: u32,
          residual: u32,
        }),
        residualFlags,
        bool,
        bool,
        (f, [o, u], final, s) => {
          const p = { ...f, final: final || s, statusPresent: s, residualOverflow: o, residualUnderflow: u };
          expect(decodeDataIn(encodeDataIn(p, 0))).toEqual(p);
        },
      ),
      runs,
    );
  });

  it('R2T, NOP-Out, NOP-In, Reject, Async Message', () => {
    fc.assert(
      fc.property(
        fc.record({
          lun,
          itt: u32,
          ttt: u32,
          statSN: u32,
          expCmdSN: u32,
          maxCmdSN: u32,
          r2tSN: u32,
          bufferOffset: u32,
          desiredLength: fc.integer({ min: 1, max: 0xffffffff }),
        }),
        (p) => { expect(decodeR2t(encodeR2t(p))).toEqual(p); },
      ),
      runs,
    );
    fc.assert(
      fc.property(
        fc.record({ immediate: bool, lun, itt: u32, ttt: u32, cmdSN: u32, expStatSN: u32 }).filter(
          (p) => p.itt !== RESERVED_TAG || p.ttt !== RESERVED_TAG,
        ),
        (p) => { expect(decodeNopOut(encodeNopOut(p, 0))).toEqual(p); },
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.record({ lun, itt: u32, ttt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32 }), (p) => {
        expect(decodeNopIn(encodeNopIn(p, 0))).toEqual(p);
        },
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.record({ reason: u8, statSN: u32, expCmdSN: u32, maxCmdSN: u32, dataSN: u32 }), (p) => {
        expect(decodeReject(encodeReject(p))).toEqual(p);
        },
      ),
      runs,
    );
    fc.assert(
      fc.property(
        fc.record({
          lun,
          statSN: u32,
          expCmdSN: u32,
          maxCmdSN: u32,
          asyncEvent: u8,
          asyncVCode: u8,
          parameter1: u16,
          parameter2: u16,
          parameter3: u16,
        }),
        (p) => { expect(decodeAsyncMessage(encodeAsyncMessage(p, 0))).toEqual(p); },
      ),
      runs,
    );
  });

  it('Task management request and response', () => {
    fc.assert(
      fc.property(
        fc.record({
          immediate: bool,
          function: fc.integer({ min: 0, max: 127 }),
          lun,
          itt: u32,
          referencedTaskTag: u32,
          cmdSN: u32,
          expStatSN: u32,
          refCmdSN: u32,
          expDataSN: u32,
        }),
        (p) => { expect(decodeTaskMgmtRequest(encodeTaskMgmtRequest(p))).toEqual(p); },
      ),
      runs,
    );
    fc.assert(
      fc.property(fc.record({ response: u8, itt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32 }), (p) => {
        expect(decodeTaskMgmtResponse(encodeTaskMgmtResponse(p))).toEqual(p);
        },
      ),
      runs,
    );
  });

  it('Login request and response', () => {
    const stage = fc.integer({ min: 0, max: 3 });
    fc.assert(
      fc.property(
        fc.record({
          transit: bool,
          continue: bool,
          csg: stage,
          nsg: stage,
          versionMax: u8,
          versionMin: u8,
          isid: bytes(6, 6),
          tsih: u16,
          itt: u32,
          cid: u16,
          cmdSN: u32,
          expStatSN: u32,
        }),
        (p) => { expect(decodeLoginRequest(encodeLoginRequest(p, 0))).toEqual(p); },
      ),
      runs,
    );
    fc.assert(
      fc.property(
        fc.record({
          transit: bool,
          continue: bool,
          csg: stage,
          nsg: stage,
          versionMax: u8,
          versionActive: u8,
          isid: bytes(6, 6),
          tsih: u16,
          itt: u32,
          statSN: u32,
          expCmdSN: u32,
          maxCmdSN: u32,
          statusClass: u8,
          statusDetail: u8,
        }),
        (p) => { expect(decodeLoginResponse(encodeLoginResponse(p, 0))).toEqual(p); },
      ),
      runs,
    );
  });

  it('Text request and response (F and C never both set)', () => {
    const fc2 = fc.constantFrom([false, false], [true, false], [false, true]);
    fc.assert(
      fc.property(fc.record({ immediate: bool, lun, itt: u32, ttt: u32, cmdSN: u32, expStatSN: u32 }), fc2, (f, [fin, c]) => {
        const p = { ...f, final: fin, continue: c };
        expect(decodeTextRequest(encodeTextRequest(p, 0))).toEqual(p);
      }),
      runs,
    );
    fc.assert(
      fc.property(fc.record({ lun, itt: u32, ttt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32 }), fc2, (f, [fin, c]) => {
        const p = { ...f, final: fin, continue: c };
        expect(decodeTextResponse(encodeTextResponse(p, 0))).toEqual(p);
      }),
      runs,
    );
  });

  it('Logout request and response', () => {
    fc.assert(
      fc.property(
        fc.record({ immediate: bool, reasonCode: fc.integer({ min: 0, max: 2 }), itt: u32, cid: u16, cmdSN: u32, expStatSN: u32 }),
        (p) => { expect(decodeLogoutRequest(encodeLogoutRequest(p))).toEqual(p); },
      ),
      runs,
    );
    fc.assert(
      fc.property(
        fc.record({ response: u8, itt: u32, statSN: u32, expCmdSN: u32, maxCmdSN: u32, time2Wait: u16, time2Retain: u16 }),
        (p) => {
          const h = encodeLogoutResponse(p);
          expect(decodeLogoutResponse(h)).toEqual(p);
          expect(decodeTargetPdu(h).kind).toBe('logout-response');
        },
      ),
      runs,
    );
  });
});
