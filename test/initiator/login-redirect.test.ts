/**
 * A login answered with Status-Class 1 (RFC 7143 §11.13.5) names the target's new address in
 * TargetAddress: the initiator logs in there instead of failing. A temporary redirect (0x0101)
 * holds for that login only, so a reconnect starts at the original address again; a permanent
 * one (0x0102) moves later logins to the new address. Redirects between targets end after
 * MAX_LOGIN_REDIRECTS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/initiator/discovery.js';
import { IscsiLoginError } from '../../src/initiator/errors.js';
import { MAX_LOGIN_REDIRECTS } from '../../src/initiator/login.js';
import { ReconnectingSession } from '../../src/initiator/reconnecting-session.js';
import { IscsiSession } from '../../src/initiator/session.js';
import { encodeTextResponse } from '../../src/iscsi/pdu/text.js';
import { encodeTextKeys } from '../../src/iscsi/text-keys.js';
import { FakeTarget } from './fake-target.js';

const TARGET_NAME = 'iqn.2024-01.x:fake';
const TEST_UNIT_READY = Buffer.alloc(6);
const TEMPORARILY = 1;
const PERMANENTLY = 2;

describe('login redirect', () => {
  const targets: FakeTarget[] = [];
  const sessions: Array<{ destroy(): void }> = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.destroy();
    for (const t of targets.splice(0)) await t.stop();
  });

  /** The target the redirects lead to: answers every command GOOD. */
  async function startDestination(): Promise<FakeTarget> {
    const t = await FakeTarget.start({ onCommand: (conn, command) => conn.respond(command.itt) });
    targets.push(t);
    return t;
  }

  /** A target that answers every login with a redirect to `targetAddress()`. */
  async function startRedirector(statusDetail: 1 | 2, targetAddress: (self: FakeTarget) => string): Promise<FakeTarget> {
    let self: FakeTarget | undefined;
    const t = await FakeTarget.start({ redirectLogin: () => ({ statusDetail, targetAddress: targetAddress(self!) }) });
    self = t;
    targets.push(t);
    return t;
  }

  const connectOptions = (t: FakeTarget) => ({ host: '127.0.0.1', port: t.port, targetName: TARGET_NAME, timeouts: { nopIntervalMs: 0 } });

  it('logs in at the address a temporary redirect names', async () => {
    const destination = await startDestination();
    const redirector = await startRedirector(TEMPORARILY, () => `127.0.0.1:${destination.port}`);
    const session = await IscsiSession.connect(connectOptions(redirector));
    sessions.push(session);
    expect(session.portal).toEqual({ host: '127.0.0.1', port: destination.port });
    expect(session.movedTo).toBeUndefined();
    expect((await session.command({ lun: 0, cdb: TEST_UNIT_READY })).status).toBe(0);
    expect(redirector.connections).toHaveLength(1);
    expect(destination.connections).toHaveLength(1);
  });

  it('logs in at the address a permanent redirect names (portal group tag tolerated) and reports the move', async () => {
    const destination = await startDestination();
    const redirector = await startRedirector(PERMANENTLY, () => `127.0.0.1:${destination.port},1`);
    const session = await IscsiSession.connect(connectOptions(redirector));
    sessions.push(session);
    expect(session.movedTo).toEqual({ host: '127.0.0.1', port: destination.port });
    expect((await session.command({ lun: 0, cdb: TEST_UNIT_READY })).status).toBe(0);
  });

  it('follows a chain of redirects', async () => {
    const destination = await startDestination();
    const second = await startRedirector(TEMPORARILY, () => `127.0.0.1:${destination.port}`);
    const first = await startRedirector(PERMANENTLY, () => `127.0.0.1:${second.port}`);
    const session = await IscsiSession.connect(connectOptions(first));
    sessions.push(session);
    expect(session.portal.port).toBe(destination.port);
    // The permanent move was to the second redirector; the temporary one beyond it was for this login only.
    expect(session.movedTo).toEqual({ host: '127.0.0.1', port: second.port });
  });

  it(`gives up after ${MAX_LOGIN_REDIRECTS} redirects (a target redirecting to itself)`, async () => {
    const loop = await startRedirector(TEMPORARILY, (self) => `127.0.0.1:${self.port}`);
    const outcome = await IscsiSession.connect(connectOptions(loop)).then(
      (s) => (sessions.push(s), 'logged in'),
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(IscsiLoginError);
    expect((outcome as IscsiLoginError).message).toMatch(new RegExp(`target moved temporarily .*gave up after ${MAX_LOGIN_REDIRECTS} redirects`));
    expect(loop.connections).toHaveLength(MAX_LOGIN_REDIRECTS + 1);
  });

  it('reports a redirect whose TargetAddress cannot be read as a login failure', async () => {
    const redirector = await startRedirector(TEMPORARILY, () => '[::1');
    const outcome = await IscsiSession.connect(connectOptions(redirector)).then(
      (s) => (sessions.push(s), 'logged in'),
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(IscsiLoginError);
    expect(outcome).toMatchObject({ statusClass: 1, statusDetail: 1 });
    expect(redirector.connections).toHaveLength(1);
  });

  /** A ReconnectingSession through `redirector`, its connection to `destination` then dropped once; resolves after the re-login. */
  async function reconnectOnce(redirector: FakeTarget, destination: FakeTarget): Promise<ReconnectingSession> {
    let reconnected!: () => void;
    const relogin = new Promise<void>((resolve) => (reconnected = resolve));
    const session = await ReconnectingSession.connect({ ...redirector.reconnectingOptions, onReconnect: () => reconnected() });
    sessions.push(session);
    expect(destination.connections).toHaveLength(1);
    destination.connections[0]!.socket.destroy();
    await relogin;
    return session;
  }

  it('a reconnect after a temporary redirect starts at the original address again', async () => {
    const destination = await startDestination();
    const redirector = await startRedirector(TEMPORARILY, () => `127.0.0.1:${destination.port}`);
    const session = await reconnectOnce(redirector, destination);
    expect(redirector.connections).toHaveLength(2);
    expect(destination.connections).toHaveLength(2);
    expect((await session.command({ lun: 0, cdb: TEST_UNIT_READY })).status).toBe(0);
  });

  it('a reconnect after a permanent redirect goes to the new address', async () => {
    const destination = await startDestination();
    const redirector = await startRedirector(PERMANENTLY, () => `127.0.0.1:${destination.port}`);
    const session = await reconnectOnce(redirector, destination);
    expect(redirector.connections).toHaveLength(1);
    expect(destination.connections).toHaveLength(2);
    expect((await session.command({ lun: 0, cdb: TEST_UNIT_READY })).status).toBe(0);
  });

  it('discovery follows a redirect too', async () => {
    const destination = await FakeTarget.start({
      onPdu(conn, pdu) {
        if (pdu.kind !== 'text') return false;
        const body = encodeTextKeys([
          { key: 'TargetName', value: TARGET_NAME },
          { key: 'TargetAddress', value: `127.0.0.1:${conn.socket.localPort},1` },
        ]);
        conn.send(
          encodeTextResponse(
            { final: true, continue: false, lun: 0n, itt: pdu.pdu.itt, ttt: 0xffffffff, statSN: conn.statSN++, expCmdSN: conn.expCmdSN, maxCmdSN: conn.maxCmdSN },
            body.length,
          ),
          body,
        );
        return true;
      },
    });
    targets.push(destination);
    const redirector = await startRedirector(TEMPORARILY, () => `127.0.0.1:${destination.port}`);
    const found = await discover({ host: '127.0.0.1', port: redirector.port });
    expect(found).toEqual([{ iqn: TARGET_NAME, portals: [{ host: '127.0.0.1', port: destination.port, portalGroupTag: 1 }] }]);
  });
});
