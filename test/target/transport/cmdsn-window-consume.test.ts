/**
 * A CmdSN consumed without a command (RFC 7143 §11.5.1 ABORT TASK for a command not yet
 * received) counts as received: ExpCmdSN moves past it at once or when the gap before it
 * fills, and the command, should it still arrive, is dropped.
 */
import { describe, expect, it } from 'vitest';
import { CmdSnWindow } from '../../../src/target/cmdsn-window.js';

describe('CmdSN window: consuming a CmdSN', () => {
  it('at ExpCmdSN moves past it and delivers the commands held behind it', () => {
    const w = new CmdSnWindow(10, 8, () => 0);
    const order: number[] = [];
    expect(w.submit(11, false, () => order.push(11))).toBe('queued');
    w.consume(10);
    expect(order).toEqual([11]);
    expect(w.expCmdSN).toBe(12);
    expect(w.submit(10, false, () => order.push(10))).toBe('dropped');
    expect(order).toEqual([11]);
  });

  it('ahead of ExpCmdSN holds its place until the gap fills, and drops the command if it arrives', () => {
    const w = new CmdSnWindow(10, 8, () => 0);
    const order: number[] = [];
    w.consume(11);
    expect(w.expCmdSN).toBe(10);
    expect(w.submit(11, false, () => order.push(11))).toBe('dropped');
    expect(w.submit(12, false, () => order.push(12))).toBe('queued');
    expect(w.submit(10, false, () => order.push(10))).toBe('delivered');
    expect(order).toEqual([10, 12]);
    expect(w.expCmdSN).toBe(13);
  });

  it('leaves a CmdSN outside the window, or one a command already holds, as it is', () => {
    const w = new CmdSnWindow(10, 4, () => 0);
    const order: number[] = [];
    w.consume(9);
    w.consume(14);
    expect(w.heldCount).toBe(0);
    expect(w.submit(11, false, () => order.push(11))).toBe('queued');
    w.consume(11);
    w.submit(10, false, () => order.push(10));
    expect(order).toEqual([10, 11]);
    expect(w.expCmdSN).toBe(12);
  });
});
