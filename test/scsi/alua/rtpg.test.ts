/**
 * REPORT TARGET PORT GROUPS (MAINTENANCE IN A3h / 0Ah, SPC-4 §6.36) on a replicated LU: both
 * header formats, one descriptor per node with its access state, the CDB checked precisely,
 * and a plain LU that refuses it.
 */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { IMPLICIT_TRANSITION_SECONDS } from '../../../src/scsi/report-target-port-groups.js';
import { fieldPointerOf, senseOf } from '../helpers.js';
import { vendorRig } from '../replica-commands/vendor-rig.js';
import { HOST, aluaRig, outcome } from './alua-rig.js';

/** RTPG with PARAMETER DATA FORMAT `format` (0 length only, 1 extended). */
const rtpg = (format = 0, allocation = 1024) => [0xa3, 0x0a | (format << 5), 0, 0, 0, 0, (allocation >>> 24) & 0xff, (allocation >>> 16) & 0xff, (allocation >>> 8) & 0xff, allocation & 0xff, 0, 0];

/** One target port group descriptor: 8 bytes and one 4-byte port descriptor. */
function descriptor(state: number, group: number, port: number, status = 0): number[] {
  return [state, 0x8d, 0, group, 0, status, 0, 1, 0, 0, 0, port];
}

describe('REPORT TARGET PORT GROUPS', () => {
  it('length-only format: RETURN DATA LENGTH, then this node\'s group (2, standby) and the peer\'s (1, active/optimized)', async () => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    const r = await exec(rtpg(0), undefined, HOST);
    expect(outcome(r)).toBe('GOOD');
    expect([...r.dataIn!]).toEqual([0, 0, 0, 24, ...descriptor(0x02, 2, 2), ...descriptor(0x00, 1, 1)]);
  });

  it('extended format: FORMAT TYPE 001b and the implicit transition time in the header', async () => {
    const { exec } = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    const r = await exec(rtpg(1), undefined, HOST);
    expect([...r.dataIn!.subarray(0, 8)]).toEqual([0, 0, 0, 28, 0x10, IMPLICIT_TRANSITION_SECONDS, 0, 0]);
    expect([...r.dataIn!.subarray(8)]).toEqual([...descriptor(0x00, 2, 2), ...descriptor(0x00, 1, 1)]);
  });

  it.each([
    ['primary', AccessState.ACTIVE_OPTIMIZED, AccessState.STANDBY],
    ['backup', AccessState.STANDBY, AccessState.ACTIVE_OPTIMIZED],
    ['role change running', AccessState.TRANSITIONING, AccessState.TRANSITIONING],
    ['stale primary', AccessState.UNAVAILABLE, AccessState.ACTIVE_OPTIMIZED],
  ])('%s: reports the states the engine gives, with STATUS CODE 02h once a role change set them', async (_role, own, peer) => {
    const { exec, endpoint } = await aluaRig(own);
    endpoint.peerState = peer;
    endpoint.changedImplicitly = true;
    const r = await exec(rtpg(0), undefined, HOST);
    expect([...r.dataIn!.subarray(4)]).toEqual([...descriptor(own, 2, 2, 0x02), ...descriptor(peer, 1, 1, 0x02)]);
  });

  it('a peer whose group is unknown is left out', async () => {
    const { exec, endpoint } = await aluaRig(AccessState.ACTIVE_OPTIMIZED);
    endpoint.peerState = undefined;
    const r = await exec(rtpg(0), undefined, HOST);
    expect([...r.dataIn!]).toEqual([0, 0, 0, 12, ...descriptor(0x00, 2, 2)]);
  });

  it('the allocation length cuts the data, not RETURN DATA LENGTH', async () => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    const r = await exec(rtpg(0, 6), undefined, HOST);
    expect([...r.dataIn!]).toEqual([0, 0, 0, 24, 0x02, 0x8d]);
  });

  it('refuses a PARAMETER DATA FORMAT other than 000b and 001b, and reserved bytes, with the field pointer', async () => {
    const { exec } = await aluaRig(AccessState.STANDBY);
    const bad = await exec(rtpg(2), undefined, HOST);
    expect(senseOf(bad)).toMatchObject({ key: 0x05, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(bad)).toEqual({ cd: true, byte: 1, bit: 7 });
    const reserved = rtpg(0);
    reserved[3] = 1;
    const r = await exec(reserved, undefined, HOST);
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 3 });
  });

  it('REPORT SUPPORTED OPERATION CODES lists it on a replicated LU (SUPPORT 011b) and not on a plain one (001b)', async () => {
    const rsocOne = [0xa3, 0x0c, 0x02, 0xa3, 0x00, 0x0a, 0, 0, 0x01, 0x00, 0, 0];
    expect((await (await aluaRig(AccessState.STANDBY)).exec(rsocOne, undefined, HOST)).dataIn![1]! & 0x07).toBe(0x03);
    expect((await (await vendorRig()).exec(rsocOne)).dataIn![1]! & 0x07).toBe(0x01);
  });

  it('a plain LU (no ALUA) does not have it: an unsupported service action (INVALID FIELD IN CDB, byte 1 bit 4)', async () => {
    const { exec } = await vendorRig();
    const r = await exec(rtpg(0));
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 1, bit: 4 });
  });
});
