import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { INITIATOR, makeEnv, request, status, TARGET } from './helpers.js';

const ID = { InitiatorName: INITIATOR, TargetName: TARGET };

describe('stage transitions', () => {
  it.each([
    [0, 0],
    [1, 1],
    [1, 0],
    [0, 2],
  ])('transit from %i to %i is an initiator error', (csg, nsg) => {
    const login = new LoginNegotiator(makeEnv());
    expect(status(login.step(request({ csg, nsg, transit: true, keys: ID })))).toBe(0x0200);
  });

  it.each([2, 3])('current stage %i is an initiator error', (csg) => {
    expect(status(new LoginNegotiator(makeEnv()).step(request({ csg, nsg: 3, transit: true, keys: ID })))).toBe(0x0200);
  });

  it('security straight to full feature phase is allowed', () => {
    const login = new LoginNegotiator(makeEnv());
    const r = login.step(request({ csg: 0, nsg: 3, transit: true, keys: { ...ID, AuthMethod: 'None' } }));
    expect(status(r)).toBe(0);
    expect(r).toMatchObject({ transit: true, nsg: 3 });
    expect(login.done).toBe(true);
    // MaxRecvDataSegmentLength was never declared, so both directions stay at the default.
    expect(login.outcome?.params.maxRecvDataSegmentLength).toBe(8192);
  });

  it('returning to the security stage after transiting is an initiator error', () => {
    const login = new LoginNegotiator(makeEnv());
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...ID, AuthMethod: 'None' } }));
    expect(status(login.step(request({ csg: 0, nsg: 1, transit: true })))).toBe(0x0200);
  });

  it('jumping to the operational stage without a transit is an initiator error', () => {
    const login = new LoginNegotiator(makeEnv());
    login.step(request({ csg: 0, nsg: 1, transit: false, keys: { ...ID, AuthMethod: 'None' } }));
    expect(status(login.step(request({ csg: 1, nsg: 3, transit: true })))).toBe(0x0200);
  });

  it('unsupported version range is refused', () => {
    const r = new LoginNegotiator(makeEnv()).step(request({ csg: 1, nsg: 3, transit: true, versionMin: 1, versionMax: 2, keys: ID }));
    expect(status(r)).toBe(0x0205);
  });

  it('ISID changing mid-login is an initiator error', () => {
    const login = new LoginNegotiator(makeEnv());
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...ID, AuthMethod: 'None' } }));
    expect(status(login.step(request({ csg: 1, nsg: 3, transit: true, isid: Buffer.alloc(6, 9) })))).toBe(0x0200);
  });
});
