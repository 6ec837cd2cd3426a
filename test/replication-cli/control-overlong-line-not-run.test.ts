/**
 * The control socket refuses a line longer than MAX_CONTROL_LINE_BYTES ("bad-request") and ends
 * the connection; nothing of that line, nor what a half-open client sends after it, is run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlProtocolError, LineSplitter, MAX_CONTROL_LINE_BYTES, type ControlRequest } from '../../src/replication/control/protocol.js';
import { startControlServer, type ControlServer } from '../../src/replication/control/server.js';

let server: ControlServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

describe('control socket, overlong line', () => {
  it('runs nothing of a line it refused, even when the client completes it afterwards', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-ctl-long-'));
    const handled: ControlRequest[] = [];
    server = await startControlServer(join(dir, 'control.sock'), async (request) => {
      handled.push(request);
      return { ok: true, result: null };
    });
    const socket = createConnection({ path: server.path, allowHalfOpen: true });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let received = '';
    const refused = new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => {
        received += d.toString();
        if (received.includes('\n')) resolve();
      }),
    );
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // A valid request padded to one byte over the bound, no newline yet.
    const head = '{"cmd":"demote"}';
    socket.write(head + ' '.repeat(MAX_CONTROL_LINE_BYTES + 1 - head.length));
    await refused;
    expect(JSON.parse(received)).toMatchObject({ ok: false, code: 'bad-request' });
    // The half-open client ends its line, then sends a whole request, then closes.
    socket.end('\n{"cmd":"status"}\n');
    // The server has seen (and handled or ignored) all of it before the connection is closed.
    await closed;
    expect(handled).toEqual([]);
  });

  it('the splitter forgets the start of a line it refused', () => {
    const splitter = new LineSplitter(16);
    splitter.push(Buffer.from('{"cmd":"demote"}'));
    expect(() => splitter.push(Buffer.from(' '))).toThrow(ControlProtocolError);
    expect(splitter.push(Buffer.from('\n'))).toEqual(['']);
  });
});
