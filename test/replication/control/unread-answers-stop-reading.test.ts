/**
 * The control server stops reading a connection while its answers wait unread, so a client
 * that pipelines requests and never reads cannot make the server run them all and buffer
 * every answer (200,000 `{"cmd":"status"}` lines once took a primary from 155 MB to 764 MB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../../src/replication/control/server.js';

let server: ControlServer | undefined;
let client: Socket | undefined;
let dir: string | undefined;
afterEach(async () => {
  client?.destroy();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = client = dir = undefined;
});

it('a client that never reads its answers cannot make the server run (and buffer) every request it sends', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-control-flood-'));
  const path = join(dir, 'control.sock');
  let handled = 0;
  const answer = { text: 'x'.repeat(2048) }; // about a status of one LUN
  server = await startControlServer(path, async () => {
    handled++;
    return { ok: true, result: answer };
  });
  const sent = 50_000;
  client = createConnection(path);
  await new Promise<void>((resolve) => client!.once('connect', () => resolve()));
  client.pause(); // never reads
  client.write('{"cmd":"status"}\n'.repeat(sent));
  await new Promise((r) => setTimeout(r, 3000));
  // A bounded server stops after its write buffer and the kernel's socket buffer fill: a few hundred.
  expect(handled).toBeLessThan(sent / 10);
}, 20_000);
