/**
 * A control client that sends its request and then shuts down its write side (half-close:
 * `socat`, `nc -N`, any client doing `socket.end(request)`) still gets the answer of a request
 * that takes a while (verify, replicate, promote ...): the server keeps its side open until
 * every request it read is answered, then ends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../../src/replication/control/server.js';

let server: ControlServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = dir = undefined;
});

it('a request followed by the client\'s end-of-stream is still answered', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-control-halfopen-'));
  const path = join(dir, 'control.sock');
  let handled = 0;
  server = await startControlServer(path, async () => {
    await new Promise((r) => setTimeout(r, 100)); // any action that is not immediate
    handled++;
    return { ok: true, result: { done: true } };
  });
  const received = await new Promise<string>((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.on('connect', () => socket.end('{"cmd":"status"}\n'));
    setTimeout(() => resolve(text), 2000);
  });
  await new Promise((r) => setTimeout(r, 200));
  expect(handled).toBe(1);
  expect(received).toBe('{"ok":true,"result":{"done":true}}\n'); // ...and the answer reached the client
});
