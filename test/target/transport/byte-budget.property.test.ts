/**
 * Connections' budgets drawing on one shared budget: whatever the order of requests,
 * withdrawals and releases, no budget ever hands out more than it holds, every request
 * is granted at most once, one withdrawn never is, and once everything granted has been
 * released and the rest withdrawn, every budget is whole again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/target/byte-budget.js';

const SHARED = 100;
const OWN = 60;

type Op = { kind: 'acquire'; conn: number; bytes: number } | { kind: 'withdraw'; pick: number } | { kind: 'release'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('acquire' as const), conn: fc.integer({ min: 0, max: 2 }), bytes: fc.integer({ min: 1, max: OWN }) }),
  fc.record({ kind: fc.constant('withdraw' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

interface Request {
  conn: number;
  bytes: number;
  grants: number;
  withdraw: () => void;
  withdrawn: boolean;
  released: boolean;
}

describe('ByteBudget drawing on a shared budget', () => {
  it('never over-grants, grants each request once, and ends whole', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const shared = new ByteBudget(SHARED);
        const own = [0, 1, 2].map(() => new ByteBudget(OWN, shared));
        const requests: Request[] = [];
        const held = (conn?: number) => requests.filter((r) => r.grants > 0 && !r.released && (conn === undefined || r.conn === conn)).reduce((n, r) => n + r.bytes, 0);
        const check = () => {
          expect(held()).toBeLessThanOrEqual(SHARED);
          for (let c = 0; c < 3; c++) expect(held(c)).toBeLessThanOrEqual(OWN);
          expect(shared.free).toBeGreaterThanOrEqual(0);
          for (const r of requests) {
            expect(r.grants).toBeLessThanOrEqual(1);
            if (r.withdrawn) expect(r.grants).toBe(0);
          }
        };
        for (const o of ops) {
          if (o.kind === 'acquire') {
            const r: Request = { conn: o.conn, bytes: o.bytes, grants: 0, withdraw: () => undefined, withdrawn: false, released: false };
            requests.push(r);
            r.withdraw = own[o.conn]!.acquire(o.bytes, () => r.grants++);
          } else {
            const pending = requests.filter((r) => (o.kind === 'withdraw' ? r.grants === 0 && !r.withdrawn : r.grants > 0 && !r.released));
            const r = pending[o.pick % Math.max(1, pending.length)];
            if (r && o.kind === 'withdraw') {
              r.withdrawn = true;
              r.withdraw();
            } else if (r) {
              r.released = true;
              own[r.conn]!.release(r.bytes);
            }
          }
          check();
        }
        // Release what was granted (which may grant more) until nothing is left, withdrawing what waits.
        for (;;) {
          const granted = requests.find((r) => r.grants > 0 && !r.released);
          if (granted) {
            granted.released = true;
            own[granted.conn]!.release(granted.bytes);
            check();
            continue;
          }
          const waiting = requests.find((r) => r.grants === 0 && !r.withdrawn);
          if (!waiting) break;
          waiting.withdrawn = true;
          waiting.withdraw();
          check();
        }
        expect(shared.free).toBe(SHARED);
        for (const b of own) expect(b.free).toBe(OWN);
      }),
      { numRuns: 500 },
    );
  });

  it('a connection waiting on the shared budget is granted once another connection releases', () => {
    const shared = new ByteBudget(100);
    const a = new ByteBudget(100, shared);
    const b = new ByteBudget(100, shared);
    const order: string[] = [];
    a.acquire(80, () => order.push('a80'));
    b.acquire(30, () => order.push('b30'));
    expect(order).toEqual(['a80']);
    // b holds its own 30 while it waits in the shared queue.
    expect(b.free).toBe(70);
    a.release(80);
    expect(order).toEqual(['a80', 'b30']);
    expect(shared.free).toBe(70);
  });
});
