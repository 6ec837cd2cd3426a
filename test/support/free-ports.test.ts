/**
 * Ports for servers named before they listen (tools/harness/ports.ts) come from below the
 * kernel's ephemeral range, so no outgoing connection or listen(0) elsewhere takes one
 * between the check and the bind (the EADDRINUSE a run of the suite once met), from this
 * worker's slice (VITEST_POOL_ID), and are never one that is in use.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { freePort, freePortRange } from '../../tools/harness/ports.js';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
const held: Server[] = [];
afterAll(() => held.forEach((s) => s.close()));

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

it('hands out ports below the ephemeral range, in this worker\'s slice, each one bindable', async () => {
  const pool = Number(process.env.VITEST_POOL_ID);
  expect(pool).toBeGreaterThan(0);
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    held.push(await listen(port));
    ports.push(port);
  }
  expect(new Set(ports).size).toBe(ports.length);
  for (const p of ports) expect(p).toBeLessThan(ephemeralLow);
  // One slice of 256 ports for this worker: another worker's slice is elsewhere.
  const slice = Math.floor((ports[0]! - 10_000) / 256);
  expect(slice).toBeGreaterThan(0);
  for (const p of ports) expect(Math.floor((p - 10_000) / 256)).toBe(slice);
});

it('never hands out a port in use: holding each one, it gives every port of the slice once, then none', async () => {
  const first = await freePortRange(5);
  for (let p = first; p < first + 5; p++) held.push(await listen(p));
  const given = new Set<number>();
  for (;;) {
    let port: number;
    try {
      port = await freePort();
    } catch (e) {
      expect((e as Error).message).toMatch(/^no 1 free consecutive ports in \d+-\d+$/);
      break;
    }
    expect(given.has(port)).toBe(false);
    given.add(port);
    held.push(await listen(port));
    expect(given.size).toBeLessThanOrEqual(256);
  }
  // Every port of the slice but those held from the start (and any another program holds).
  expect(given.size).toBeGreaterThan(200);
});
