/**
 * What became of a switchover's PROMOTE, once the old primary has made itself a backup and
 * sent it: the peer took it, refused it, or the answer was lost.
 */
import { ReplicationAction } from '../replica-protocol/index.js';
import { peerRefused, type ReplicaLink } from './replica-link.js';

/**
 * 'promoted': by this PROMOTE (or, its answer lost, the peer reads as a primary now);
 * 'peer-promoted': refused by a peer its own admin had promoted; 'refused': the peer is still a
 * backup and did not promote; 'unknown': its role could not be read.
 */
export type PromotionOutcome = 'promoted' | 'peer-promoted' | 'refused' | 'unknown';

export interface PromotionAttempt {
  /** The PROMOTE's parameter (this node's current generation). */
  parameter: Buffer;
  /** How long a lost answer is asked after (ms of real time). */
  confirmMs: number;
  /** The node is shutting down: stop asking. */
  givingUp: () => boolean;
}

type Promotion = { outcome: PromotionOutcome; detail: string };

/** Sends PROMOTE and settles its outcome; `detail` says why it was not 'promoted' at once. */
export async function promotePeer(link: ReplicaLink, attempt: PromotionAttempt): Promise<Promotion> {
  const sent = await sendPromote(link, attempt, '');
  return 'lost' in sent ? afterLostAnswer(link, attempt, sent.lost) : sent;
}

/**
 * One PROMOTE and the peer's answer to it. A CHECK CONDITION is an answer (the peer did not
 * promote, and its role says why); a lost connection is none.
 */
async function sendPromote(link: ReplicaLink, attempt: PromotionAttempt, context: string): Promise<Promotion | { lost: string }> {
  try {
    const ok = await link.control(ReplicationAction.PROMOTE, attempt.parameter);
    return ok ? { outcome: 'promoted', detail: '' } : { outcome: 'refused', detail: 'the peer does not implement REPLICATION CONTROL' };
  } catch (e) {
    if (peerRefused(e)) return { outcome: await afterRefusal(link), detail: context + (e as Error).message };
    return { lost: (e as Error).message };
  }
}

/**
 * The peer refused. A peer its own admin promoted meanwhile (it found this node a backup
 * already) refuses too, and taking the primary role back then made two primaries: so the
 * peer's role decides, and one that cannot be read leaves this node a backup (no primary is
 * safer than two).
 */
async function afterRefusal(link: ReplicaLink): Promise<PromotionOutcome> {
  try {
    const role = (await link.peerState())?.role;
    return role === 'backup' ? 'refused' : role === 'primary' ? 'peer-promoted' : 'unknown';
  } catch {
    return 'unknown';
  }
}

const RETRY_EVERY_MS = 200;

/**
 * The answer was lost (the link cut, the peer restarted): the peer may or may not have
 * promoted. Until `confirmMs` has passed, its role is read again: a primary took it; a
 * backup is sent PROMOTE again (one that had taken the first would refuse, being a primary,
 * and the refusal is read as above). Only a peer that stays unreachable leaves it unknown.
 * Every lost answer used to leave both nodes backups until an admin promoted one, though the
 * link was back within a second of a blip.
 */
async function afterLostAnswer(link: ReplicaLink, attempt: PromotionAttempt, lost: string): Promise<Promotion> {
  const deadline = Date.now() + attempt.confirmMs;
  while (Date.now() < deadline && !attempt.givingUp()) {
    await new Promise((r) => setTimeout(r, RETRY_EVERY_MS));
    let role;
    try {
      role = (await link.peerState())?.role;
    } catch {
      continue;
    }
    if (role === 'primary') return { outcome: 'promoted', detail: '' };
    if (role !== 'backup') break;
    const sent = await sendPromote(link, attempt, `sent again after the answer was lost (${lost}): `);
    if (!('lost' in sent)) return sent;
  }
  return { outcome: 'unknown', detail: lost };
}
