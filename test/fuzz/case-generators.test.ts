import { describe, expect, it } from 'vitest';
import { decodeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { fullFeatureCase, type SessionCursor } from './full-feature-cases.js';
import { mutatedLoginRequest, randomPreLoginBytes, validLoginRequest } from './login-cases.js';
import { Prng } from './prng.js';

const id = { targetName: 'iqn.2026-11.io.tandem:t', initiatorName: 'iqn.2026-11.io.tandem:fuzzer', isid: Buffer.from([0x80, 1, 2, 3, 4, 5]) };

function run(seed: number): Buffer[] {
  const rng = new Prng(seed);
  const cursor: SessionCursor = { cmdSN: 10, expStatSN: 1, nextItt: 1, recentItts: [] };
  const out: Buffer[] = [];
  for (let i = 0; i < 200; i++) out.push(randomPreLoginBytes(rng), mutatedLoginRequest(id, rng), fullFeatureCase(rng, cursor));
  return out;
}

describe('fuzz case generators', () => {
  it('regenerate exactly the same cases from the same seed, and different ones from another', () => {
    const a = run(42);
    expect(run(42).every((b, i) => b.equals(a[i]!))).toBe(true);
    expect(run(43).some((b, i) => !b.equals(a[i]!))).toBe(true);
  });

  it('build the correct login from the codec: operational → full feature, keys NUL-terminated', () => {
    const pdu = validLoginRequest(id, 7, 1);
    const header = decodeLoginRequest(pdu.subarray(0, 48));
    expect(header).toMatchObject({ transit: true, csg: 1, nsg: 3, itt: 7, cmdSN: 1 });
    const dataLength = pdu.readUIntBE(5, 3);
    const text = pdu.subarray(48, 48 + dataLength).toString('utf8');
    expect(text.endsWith('\0')).toBe(true);
    expect(text.split('\0')).toContain(`InitiatorName=${id.initiatorName}`);
    expect(pdu.length % 4).toBe(0);
  });
});
