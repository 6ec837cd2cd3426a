import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import type { LoginStep } from '../../../src/target/login-types.js';
import { keys, makeEnv, makeTarget, INITIATOR, TARGET } from './helpers.js';

const silent = pino({ level: 'silent' });

const keyData = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc
    .dictionary(
      fc.constantFrom('InitiatorName', 'TargetName', 'SessionType', 'AuthMethod', 'CHAP_A', 'CHAP_N', 'CHAP_R', 'CHAP_I', 'CHAP_C', 'HeaderDigest', 'MaxBurstLength', 'FirstBurstLength', 'ImmediateData', 'MaxRecvDataSegmentLength', 'X-foo', 'TargetAlias'),
      fc.oneof(fc.constantFrom(INITIATOR, TARGET, 'Normal', 'Discovery', 'CHAP', 'None', '5', '0x00ff', 'Yes', '512', 'CRC32C,None'), fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0'))),
      { maxKeys: 6 },
    )
    .map((d) => keys(d)),
);

const step: fc.Arbitrary<LoginStep> = fc.record({
  isid: fc.constant(Buffer.alloc(6)),
  tsih: fc.constantFrom(0, 0, 0, 1),
  cid: fc.constant(0),
  csg: fc.integer({ min: 0, max: 3 }),
  nsg: fc.integer({ min: 0, max: 3 }),
  transit: fc.boolean(),
  continue: fc.boolean(),
  versionMax: fc.constantFrom(0, 0, 1),
  versionMin: fc.constantFrom(0, 0, 1),
  data: keyData,
});

describe('LoginNegotiator on random input', () => {
  it('never throws, always answers with a status, and ends in at most one terminal state', () => {
    const env = makeEnv([makeTarget(), makeTarget({ iqn: 'iqn.x:chap', chap: { user: 'u', secret: 'secret-secret' } })]);
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const login = new LoginNegotiator(env, { logger: silent });
        for (const s of steps) {
          const r = login.step(s);
          expect([0, 2, 3]).toContain(r.statusClass);
          if (r.statusClass !== 0) expect(login.failed).toBe(true);
          expect(login.done && login.failed).toBe(false);
          if (login.done) expect(login.outcome).toBeDefined();
        }
      }),
      { numRuns: 1500 },
    );
  });
});
