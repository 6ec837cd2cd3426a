import { describe, expect, it } from 'vitest';
import { LoginNegotiator, MAX_LOGIN_KEY_BYTES } from '../../../src/target/login.js';
import { answers, INITIATOR, keys, makeEnv, request, status, TARGET } from './helpers.js';

describe('Continue (C) bit', () => {
  it('reassembles a key split across PDUs before negotiating', () => {
    const whole = keys({ InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal', ImmediateData: 'No', MaxBurstLength: '65536' });
    const login = new LoginNegotiator(makeEnv());
    const cut1 = 10;
    const cut2 = whole.indexOf('ImmediateData') + 5; // split inside a key name
    for (const part of [whole.subarray(0, cut1), whole.subarray(cut1, cut2)]) {
      const r = login.step(request({ csg: 1, nsg: 3, continue: true, data: part }));
      expect(status(r)).toBe(0);
      expect(r).toMatchObject({ transit: false, continue: false });
      expect(r.data.length).toBe(0);
    }
    const last = login.step(request({ csg: 1, nsg: 3, transit: true, data: whole.subarray(cut2) }));
    expect(status(last)).toBe(0);
    expect(answers(last)).toMatchObject({ ImmediateData: 'No', MaxBurstLength: '65536' });
    expect(login.done).toBe(true);
  });

  it('refuses continued key data beyond the bound', () => {
    const login = new LoginNegotiator(makeEnv());
    const chunk = Buffer.alloc(8192, 0x41);
    let reply;
    for (let i = 0; i <= MAX_LOGIN_KEY_BYTES / chunk.length; i++) {
      reply = login.step(request({ csg: 1, nsg: 3, continue: true, data: chunk }));
      if (login.failed) break;
    }
    expect(login.failed).toBe(true);
    expect(status(reply!)).toBe(0x0200);
  });

  it('refuses C and T together', () => {
    const r = new LoginNegotiator(makeEnv()).step(request({ csg: 1, nsg: 3, continue: true, transit: true }));
    expect(status(r)).toBe(0x0200);
  });
});
