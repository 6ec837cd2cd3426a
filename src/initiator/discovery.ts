/** Discovery session (RFC 7143 §4.3): login with SessionType=Discovery, SendTargets=All, logout. */
import { decodeTargetPdu } from '../iscsi/pdu/decode.js';
import { encodeLogoutRequest } from '../iscsi/pdu/logout.js';
import { LogoutReason, RESERVED_TAG } from '../iscsi/pdu/opcodes.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import { encodeTextRequest } from '../iscsi/pdu/text.js';
import type { ChapCredentials } from '../iscsi/chap.js';
import { encodeTextKeys } from '../iscsi/text-keys.js';
import { moduleLogger } from '../util/log.js';
import { IscsiConnectionError } from './errors.js';
import { connectAndLogin } from './login.js';
import { DEFAULT_INITIATOR_LIMITS, type InitiatorLimits } from './operational-keys.js';
import { PduWaiter } from './pdu-waiter.js';
import { parseSendTargets, type DiscoveredTarget } from './send-targets.js';
import { DEFAULT_INITIATOR_NAME, DEFAULT_TIMEOUTS, randomIsid, type SessionTimeouts } from './session.js';
import { DEFAULT_ISCSI_PORT } from './url.js';

const log = moduleLogger('initiator');

/** A SendTargets answer larger than this is not a target list we want in memory. */
export const MAX_SEND_TARGETS_BYTES = 1024 * 1024;

export interface DiscoveryOptions {
  initiatorName?: string;
  chap?: ChapCredentials;
  mutualChap?: ChapCredentials;
  timeouts?: Partial<SessionTimeouts>;
  limits?: Partial<InitiatorLimits>;
}

export interface Portal {
  host: string;
  port?: number;
}

export async function discover(portal: Portal, options: DiscoveryOptions = {}): Promise<DiscoveredTarget[]> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const { transport, result, portal: reached } = await connectAndLogin(
    { host: portal.host, port: portal.port ?? DEFAULT_ISCSI_PORT },
    timeouts.connectMs,
    {
      initiatorName: options.initiatorName ?? DEFAULT_INITIATOR_NAME,
      sessionType: 'Discovery',
      isid: randomIsid(),
      ...(options.chap ? { chap: options.chap } : {}),
      ...(options.mutualChap ? { mutualChap: options.mutualChap } : {}),
      limits: { ...DEFAULT_INITIATOR_LIMITS, ...options.limits },
      digests: { headerDigest: false, dataDigest: false },
      timeoutMs: timeouts.loginMs,
    },
  );
  try {
    const waiter = new PduWaiter(transport);
    const deadline = Date.now() + timeouts.commandMs;
    let cmdSN = result.cmdSN;
    let expStatSN = result.expStatSN;
    const itt = 1;
    const parts: Buffer[] = [];
    let total = 0;
    let ttt = RESERVED_TAG;
    let body = encodeTextKeys([{ key: 'SendTargets', value: 'All' }]);
    for (;;) {
      transport.send(
        encodeTextRequest({ immediate: false, final: true, continue: false, lun: 0n, itt, ttt, cmdSN, expStatSN }, body.length),
        body,
      );
      cmdSN = (cmdSN + 1) >>> 0;
      const pdu = await waiter.next(deadline, 'text', (p) => p);
      let decoded;
      try {
        decoded = decodeTargetPdu(pdu.header);
      } catch (e) {
        if (e instanceof PduError) throw new IscsiConnectionError(`bad PDU during discovery: ${e.message}`);
        throw e;
      }
      if (decoded.kind !== 'text-response' || decoded.pdu.itt !== itt) {
        throw new IscsiConnectionError(`unexpected ${decoded.kind} PDU during discovery`);
      }
      expStatSN = (decoded.pdu.statSN + 1) >>> 0;
      total += pdu.data.length;
      if (total > MAX_SEND_TARGETS_BYTES) throw new IscsiConnectionError('SendTargets response too large');
      parts.push(pdu.data);
      // F, not C, ends the answer: F=0 with C=0 is a target splitting its list at whole keys.
      if (decoded.pdu.final) break;
      // More to come: an empty request carrying the target's TTT asks for it.
      if (decoded.pdu.ttt === RESERVED_TAG) throw new IscsiConnectionError('Text Response with F=0 and no TTT to continue with');
      ttt = decoded.pdu.ttt;
      body = Buffer.alloc(0);
    }
    const targets = parseSendTargets(Buffer.concat(parts));
    transport.send(
      encodeLogoutRequest({ immediate: true, reasonCode: LogoutReason.CLOSE_SESSION, itt: 2, cid: 0, cmdSN, expStatSN }),
    );
    await waiter.next(Date.now() + timeouts.logoutMs, 'logout', (p) => p).catch(() => undefined);
    log.info({ host: reached.host, port: reached.port, targets: targets.length }, 'discovery done');
    return targets;
  } finally {
    transport.close();
  }
}
