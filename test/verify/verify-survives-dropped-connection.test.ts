/**
 * A verify outlives a dropped connection: the session logs in again and the challenge
 * lists lost with the old nexus are sent again, so the report is the same as without the
 * drop (instead of exit 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/verify/run.js';
import { RemoteLun, lostWithConnection } from '../../src/verify/remote-lun.js';
import { IscsiConnectionError, ScsiCheckConditionError, parseIscsiUrl, type ReconnectingSession } from '../../src/initiator/index.js';
import { ChallengeAlgorithm, encodeChallengeAnswers, type ChallengeVpd } from '../../src/replica-protocol/index.js';
import { FaultProxy } from '../failures/fault-proxy.js';
import { scribble, startLivePair, type LivePair } from './live-pair.js';

const SIZE = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const DIFFERING = [0, 7, 500, 1023];

describe('verify across a dropped connection', () => {
  let pair: LivePair;
  let proxy: FaultProxy;

  beforeAll(async () => {
    pair = await startLivePair(SIZE, (_source, replica) => {
      for (const c of DIFFERING) scribble(replica, c * CHUNK + 100, 9);
    });
    const port = Number(pair.replica.url.split('/')[2]!.split(':').pop());
    proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port });
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await pair?.close();
  });

  it('cut mid-verify, restored 300 ms later: the same differing chunks, no error', async () => {
    const replica = pair.replica.url.replace(/:\d+\//, `:${proxy.port}/`);
    let cutDone = false;
    const report = await runVerify({
      source: pair.source.path,
      replica,
      chunk: CHUNK,
      depth: 2,
      onProgress: (p) => {
        if (cutDone || p.bytesDone === 0 || p.bytesDone >= p.bytesTotal) return;
        cutDone = true;
        proxy.cut();
        setTimeout(() => proxy.restore(), 300);
      },
    });
    expect(cutDone).toBe(true);
    // The session logged in again through the proxy.
    expect(proxy.counters.accepted).toBeGreaterThanOrEqual(2);
    expect(report.chunksChecked).toBe(SIZE / CHUNK);
    expect(report.differing.map((e) => (e.lba * 512) / CHUNK)).toEqual(DIFFERING);
  }, 60_000);
});

describe('RemoteLun.answers and a reconnect', () => {
  /** A session whose RECEIVE fails `failures` times as a reconnect would make it fail. */
  function flakySession(failures: Array<() => Error>) {
    const sent: string[] = [];
    const session = {
      async scsi(_lun: number, cdb: Buffer, options: { dataInLength?: number }) {
        sent.push(cdb[0]!.toString(16));
        if (cdb[0] === 0xc2) return { status: 0 };
        const fail = failures.shift();
        if (fail) throw fail();
        const count = ((options.dataInLength ?? 8) - 8) / 32;
        return { status: 0, dataIn: encodeChallengeAnswers({ algorithm: 0, mode: 0, answers: Array.from({ length: count }, () => Buffer.alloc(32, 0xab)) }) };
      },
    };
    return { session, sent };
  }
  const entries = [{ lba: 0n, blocks: 128, nonce: Buffer.alloc(16, 1) }];
  const lunOf = (session: unknown) => new RemoteLun(session as ReconnectingSession, parseIscsiUrl('iscsi://127.0.0.1/iqn.x:y/0'), 512, 1024, {} as ChallengeVpd);

  it('a list lost with the connection, or unknown to the new nexus, fails as lost: the engine draws it again with new nonces', async () => {
    // Sent once each (verify-fresh-nonces-on-retry.test.ts: the retry is a new list).
    const unknownList = () => new ScsiCheckConditionError({ format: 'fixed', deferred: false, key: 5, asc: 0x24, ascq: 0, field: { inCdb: true, byte: 2 } }, Buffer.alloc(16));
    const { session, sent } = flakySession([() => new IscsiConnectionError('connection lost', { maybeExecuted: true }), unknownList]);
    const lun = lunOf(session);
    const lost = await lun.answers(entries, ChallengeAlgorithm.SHA256).catch((e: unknown) => e);
    expect(lostWithConnection(lost)).toBe(true);
    const unknown = await lun.answers(entries, ChallengeAlgorithm.SHA256).catch((e: unknown) => e);
    expect(lostWithConnection(unknown)).toBe(true);
    expect(await lun.answers(entries, ChallengeAlgorithm.SHA256)).toHaveLength(1);
    expect(sent).toEqual(['c2', 'c3', 'c2', 'c3', 'c2', 'c3']);
  });

  it('other failures are not taken for a lost list', async () => {
    const other = () => new ScsiCheckConditionError({ format: 'fixed', deferred: false, key: 3, asc: 0x11, ascq: 0 }, Buffer.alloc(16));
    const e = await lunOf(flakySession([other]).session).answers(entries, ChallengeAlgorithm.SHA256).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScsiCheckConditionError);
    expect(lostWithConnection(e)).toBe(false);
  });
});
