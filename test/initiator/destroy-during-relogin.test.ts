/**
 * destroy() while a re-login is under way: the login that completes afterwards must not
 * leave a live connection nothing would ever close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { FakeTarget } from './fake-target.js';

describe('destroy() while a re-login is in progress', () => {
  let target: FakeTarget | undefined;
  afterEach(async () => target?.stop());

  it('closes the connection once its login completes', async () => {
    let releaseLogin: (() => void) | undefined;
    target = await FakeTarget.start({
      onConnection(conn) {
        if (target!.connections.length < 2) return;
        // The second connection: its login waits until released.
        conn.socket.pause();
        releaseLogin = () => conn.socket.resume();
      },
    });
    const session = await ReconnectingSession.connect(target.reconnectingOptions);
    target.connections[0]!.socket.destroy();
    await vi.waitFor(() => expect(releaseLogin).toBeDefined());
    session.destroy();
    const second = target.connections[1]!;
    const closed = new Promise<string>((r) => second.socket.once('close', () => r('closed')));
    releaseLogin!();
    await vi.waitFor(() => expect(second.received.some((p) => p.kind === 'login' && p.pdu.transit && p.pdu.nsg === 3)).toBe(true));
    const outcome = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open 2 s after its login'), 2000))]);
    expect(outcome).toBe('closed');
    expect(session.current).toBeUndefined();
  });
});
