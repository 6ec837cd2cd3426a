import { describe, expect, it } from 'vitest';
import { lunFromField, lunToField } from '../../src/iscsi/pdu/bhs.js';
import { encodeScsiCommand } from '../../src/iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../../src/iscsi/pdu/task-management.js';
import { TmfFunction } from '../../src/iscsi/pdu/opcodes.js';
import { FUZZ_LUN, isolateStream } from './isolation.js';
import { frame } from './login-cases.js';

const command = (lun: number, dataLength = 0): Buffer =>
  encodeScsiCommand(
    { immediate: false, final: true, read: false, write: dataLength > 0, attribute: 1, lun: lunToField(lun), itt: 1, expectedLength: dataLength, cmdSN: 1, expStatSN: 1, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]) },
    dataLength,
  );

const tmf = (fn: number, lun: number): Buffer =>
  encodeTaskMgmtRequest({ immediate: true, function: fn, lun: lunToField(lun), itt: 2, referencedTaskTag: 0xffffffff, cmdSN: 1, expStatSN: 1, refCmdSN: 0, expDataSN: 0 });

describe('fuzz stream isolation', () => {
  it('moves every framed command and TMF off the protected LUNs and neutralises target resets', () => {
    const data = Buffer.alloc(6, 0xaa); // padded to 8 on the wire
    const stream = Buffer.concat([frame(command(0, data.length), data), command(1), tmf(TmfFunction.TARGET_COLD_RESET, 0), tmf(TmfFunction.LOGICAL_UNIT_RESET, 7)]);
    expect(isolateStream(stream)).toBe(true);
    const second = 48 + 8;
    expect(lunFromField(stream.readBigUInt64BE(8))).toBe(FUZZ_LUN);
    expect(lunFromField(stream.readBigUInt64BE(second + 8))).toBe(FUZZ_LUN);
    expect(lunFromField(stream.readBigUInt64BE(second + 48 + 8))).toBe(FUZZ_LUN);
    expect(stream[second + 48 + 1]! & 0x7f).not.toBe(TmfFunction.TARGET_COLD_RESET);
    // Unprotected LUNs and other functions are left as fuzzed.
    expect(lunFromField(stream.readBigUInt64BE(second + 96 + 8))).toBe(7);
    expect(stream[second + 96 + 1]! & 0x7f).toBe(TmfFunction.LOGICAL_UNIT_RESET);
  });

  it('reports a stream whose declared lengths do not end where the bytes end', () => {
    const header = command(2, 100);
    expect(isolateStream(Buffer.concat([header, Buffer.alloc(10)]))).toBe(false);
    expect(isolateStream(Buffer.concat([header, Buffer.alloc(100), Buffer.alloc(20)]))).toBe(false);
    expect(isolateStream(Buffer.concat([header, Buffer.alloc(100)]))).toBe(true);
  });

  it('isolates a header that only exists because an earlier one lied about its length', () => {
    const liar = command(2, 0);
    liar[7] = 48; // claims a 48-byte segment: the next PDU's header is swallowed as data
    const hidden = command(0);
    const afterHidden = command(1);
    const stream = Buffer.concat([liar, hidden, afterHidden]);
    expect(isolateStream(stream)).toBe(true);
    // The target parses `afterHidden` as the second PDU, so that is the one rewritten.
    expect(lunFromField(stream.readBigUInt64BE(96 + 8))).toBe(FUZZ_LUN);
  });
});
