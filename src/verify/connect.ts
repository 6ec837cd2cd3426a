/** Opening a LUN named by an iscsi:// URL: login (CHAP from the URL), capacity, C0h limits. */
import { readChallengeVpd } from '../initiator/challenge.js';
import { IscsiUrlError, ReconnectingSession, parseIscsiUrl, type IscsiUrl } from '../initiator/index.js';
import { ChallengeFormatError } from '../replica-protocol/index.js';
import { UsageError } from '../util/usage-error.js';
import { RemoteLun } from './remote-lun.js';

export function parseUrlArgument(text: string, what: string): IscsiUrl {
  try {
    return parseIscsiUrl(text);
  } catch (e) {
    if (e instanceof IscsiUrlError) throw new UsageError(`${what}: ${e.message} (expected iscsi://[user[:secret]@]host[:port]/IQN/LUN)`);
    throw e;
  }
}

/** How long a verify or challenge keeps trying to log in again after its connection drops. */
const RECONNECT_GIVE_UP_MS = 30_000;

/** A session that logs in again if the connection drops (a long verify outlives a blip). */
export async function connectUrl(url: IscsiUrl): Promise<ReconnectingSession> {
  const session = await ReconnectingSession.connect({
    host: url.host,
    port: url.port,
    targetName: url.targetName,
    ...(url.user !== undefined ? { chap: { user: url.user, secret: url.secret ?? '' } } : {}),
    reconnect: { giveUpAfterMs: RECONNECT_GIVE_UP_MS },
  });
  try {
    await session.waitReady(url.lun);
  } catch (e) {
    session.destroy();
    throw e;
  }
  return session;
}

export class NotChallengeCapableError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what} does not support Tandem challenge commands (VPD page C0h: ${(cause as Error).message})`);
    this.name = 'NotChallengeCapableError';
  }
}

/** Logs in and learns what the verify engine needs; the caller closes the result. */
export async function openRemoteLun(url: IscsiUrl, what: string): Promise<RemoteLun> {
  const session = await connectUrl(url);
  try {
    const capacity = await session.readCapacity16(url.lun);
    let vpd;
    try {
      vpd = await readChallengeVpd(session, url.lun);
    } catch (e) {
      if (e instanceof ChallengeFormatError || (e as Error).name === 'ScsiCheckConditionError') throw new NotChallengeCapableError(what, e);
      throw e;
    }
    const totalBlocks = Number(capacity.blockCount);
    if (!Number.isSafeInteger(totalBlocks)) throw new RangeError(`${what}: ${capacity.blockCount} blocks is beyond what verify handles`);
    return new RemoteLun(session, url, capacity.blockSize, totalBlocks, vpd, capacity.lbpme && capacity.lbprz);
  } catch (e) {
    await session.logout().catch(() => session.destroy());
    throw e;
  }
}
