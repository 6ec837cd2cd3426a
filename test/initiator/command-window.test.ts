import { describe, expect, it } from 'vitest';
import { CommandWindow } from '../../src/initiator/command-window.js';

describe('CmdSN window', () => {
  it('opens and closes with MaxCmdSN', () => {
    const w = new CommandWindow(10, 10, 11);
    expect(w.take()).toBe(10);
    expect(w.take()).toBe(11);
    expect(w.isOpen()).toBe(false);
    w.update(12, 12);
    expect(w.isOpen()).toBe(true);
  });

  it('counts across the 32-bit wrap', () => {
    const w = new CommandWindow(0xffffffff, 0xffffffff, 1);
    expect(w.take()).toBe(0xffffffff);
    expect(w.take()).toBe(0);
    expect(w.take()).toBe(1);
    expect(w.isOpen()).toBe(false);
  });

  it('ignores stale updates and MaxCmdSN below ExpCmdSN - 1', () => {
    const w = new CommandWindow(5, 5, 20);
    w.update(4, 10);
    expect(w.max).toBe(20);
    w.update(30, 20);
    expect(w.expected).toBe(5);
    w.update(6, 5);
    // MaxCmdSN = ExpCmdSN - 1 is legal (window closed) and moves ExpCmdSN.
    expect(w.expected).toBe(6);
  });
});
