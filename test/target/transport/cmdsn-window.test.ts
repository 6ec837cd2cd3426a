import { describe, expect, it } from 'vitest';
import { CmdSnWindow } from '../../../src/target/cmdsn-window.js';

describe('CmdSN window', () => {
  it('delivers in CmdSN order, holding commands that arrive early', () => {
    const w = new CmdSnWindow(10, 8, () => 0);
    const order: number[] = [];
    expect(w.submit(12, false, () => order.push(12))).toBe('queued');
    expect(w.submit(11, false, () => order.push(11))).toBe('queued');
    expect(w.submit(10, false, () => order.push(10))).toBe('delivered');
    expect(order).toEqual([10, 11, 12]);
    expect(w.expCmdSN).toBe(13);
  });

  it('drops commands below ExpCmdSN or above MaxCmdSN, and duplicates', () => {
    const w = new CmdSnWindow(100, 4, () => 0);
    expect(w.maxCmdSN).toBe(103);
    expect(w.submit(99, false, () => undefined)).toBe('dropped');
    expect(w.submit(104, false, () => undefined)).toBe('dropped');
    expect(w.submit(102, false, () => undefined)).toBe('queued');
    expect(w.submit(102, false, () => undefined)).toBe('dropped');
  });

  it('runs immediate commands at once without consuming a CmdSN', () => {
    const w = new CmdSnWindow(5, 4, () => 0);
    let ran = false;
    expect(w.submit(5, true, () => (ran = true))).toBe('delivered');
    expect(ran).toBe(true);
    expect(w.expCmdSN).toBe(5);
  });

  it('wraps around 2^32', () => {
    const w = new CmdSnWindow(0xffffffff, 4, () => 0);
    const order: number[] = [];
    w.submit(0, false, () => order.push(0));
    w.submit(0xffffffff, false, () => order.push(-1));
    expect(order).toEqual([-1, 0]);
    expect(w.expCmdSN).toBe(1);
  });

  it('narrows MaxCmdSN with tasks in flight but never announces a smaller value', () => {
    let inFlight = 0;
    const w = new CmdSnWindow(1, 4, () => inFlight);
    expect(w.maxCmdSN).toBe(4);
    inFlight = 4;
    w.submit(1, false, () => undefined);
    expect(w.maxCmdSN).toBe(4);
    inFlight = 0;
    expect(w.maxCmdSN).toBe(5);
  });

  it('does not narrow MaxCmdSN for held commands: they take a CmdSN inside the window already', () => {
    let inFlight = 2;
    const w = new CmdSnWindow(1, 4, () => inFlight);
    w.submit(1, false, () => undefined);
    w.submit(2, false, () => undefined);
    expect(w.submit(4, false, () => undefined)).toBe('queued');
    inFlight = 0;
    expect(w.maxCmdSN).toBe(3 + 4 - 1);
  });
});
