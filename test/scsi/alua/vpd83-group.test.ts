/**
 * VPD 83h of a replicated LU names the node's ALUA port: the relative target port and the
 * target port group designators carry the node's group (2 on the node created as backup),
 * so a host tells the two nodes' paths apart; a plain LU keeps the portal group's.
 */
import { describe, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { vendorRig } from '../replica-commands/vendor-rig.js';
import { HOST, aluaRig } from './alua-rig.js';

const VPD83 = [0x12, 0x01, 0x83, 0x01, 0x00, 0x00];

/** Designators of the page: [association | type, value]. */
function designators(page: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (let at = 4; at < page.length; ) {
    const len = page[at + 3]!;
    out.push([page[at + 1]! & 0x3f, page.subarray(at + 4, at + 4 + len)]);
    at += 4 + len;
  }
  return out;
}

const RELATIVE_TARGET_PORT = 0x10 | 0x04;
const TARGET_PORT_GROUP = 0x10 | 0x05;

describe('VPD 83h designators of the target port', () => {
  it('a replicated LU: relative target port 2 and target port group 2 (the node\'s group), in any ALUA state', async () => {
    for (const state of [AccessState.STANDBY, AccessState.ACTIVE_OPTIMIZED]) {
      const { exec } = await aluaRig(state);
      const d = designators((await exec(VPD83, undefined, HOST)).dataIn!);
      expect(d.find(([t]) => t === RELATIVE_TARGET_PORT)?.[1].readUInt32BE(0)).toBe(2);
      expect(d.find(([t]) => t === TARGET_PORT_GROUP)?.[1].readUInt32BE(0)).toBe(2);
    }
  });

  it('a plain LU: the portal group tag (1) for both', async () => {
    const { exec } = await vendorRig();
    const d = designators((await exec(VPD83)).dataIn!);
    expect(d.find(([t]) => t === RELATIVE_TARGET_PORT)?.[1].readUInt32BE(0)).toBe(1);
    expect(d.find(([t]) => t === TARGET_PORT_GROUP)?.[1].readUInt32BE(0)).toBe(1);
  });
});
