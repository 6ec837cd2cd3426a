/**
 * Every challenge verify sends carries a fresh nonce, a list sent again after a dropped
 * connection included: a replica must never see a nonce twice (it could replay an answer
 * it computed earlier). A list lost with the connection is drawn again, new nonces for
 * both ends, rather than sent again as it was; the SEND CHALLENGE LIST is not re-issued
 * by the session on the new nexus either.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IscsiConnectionError, ScsiCheckConditionError, type IscsiUrl, type ReconnectingSession } from '../../src/initiator/index.js';
import {
  EntryField,
  LIST_ENTRY_BYTES,
  challengeVpdFor,
  encodeChallengeAnswers,
  entryOffset,
  type ChallengeAlgorithmCode,
  type ChallengeEntry,
} from '../../src/replica-protocol/index.js';
import { verifyVolumes } from '../../src/verify/engine.js';
import { RemoteLun } from '../../src/verify/remote-lun.js';
import type { Reference } from '../../src/verify/reference.js';

const BLOCK = 512;
const BLOCKS = 1024;
const CHUNK = 8 * BLOCK;
const PER_LIST = 16;
const SEND = 0xc2;
const RECEIVE = 0xc3;

/** What a faithful end answers for an entry (any function of the nonce and extent will do here). */
function answerOf(nonce: Buffer, lba: bigint, blocks: number): Buffer {
  const ext = Buffer.alloc(12);
  ext.writeBigUInt64BE(lba, 0);
  ext.writeUInt32BE(blocks, 8);
  return createHash('sha256').update(nonce).update(ext).digest();
}

type Drop = { opcode: number; nth: number };

/**
 * A session to one LU answering SEND CHALLENGE LIST / RECEIVE CHALLENGE ANSWERS faithfully,
 * recording every nonce that reaches it. `drops`: the nth command of that opcode is lost
 * with the connection after reaching the wire (its lists die with the nexus); as a
 * ReconnectingSession does, an idempotent one is then issued again on the new nexus.
 */
function fakeSession(drops: Drop[]) {
  const nonces: string[] = [];
  let lists = new Map<number, ChallengeEntry[]>();
  const seen = new Map<number, number>();
  const deliver = (cdb: Buffer, dataOut: Buffer | undefined, dataInLength: number | undefined) => {
    if (cdb[0] === SEND) {
      const data = dataOut!;
      const count = data.readUInt32BE(0);
      const entries: ChallengeEntry[] = [];
      for (let i = 0; i < count; i++) {
        const at = entryOffset(i);
        const nonce = Buffer.from(data.subarray(at + EntryField.NONCE, at + LIST_ENTRY_BYTES));
        nonces.push(nonce.toString('hex'));
        entries.push({ lba: data.readBigUInt64BE(at + EntryField.LBA), blocks: data.readUInt32BE(at + EntryField.EXTENT_LENGTH), nonce });
      }
      lists.set(cdb.readUInt32BE(2), entries);
      return { status: 0 };
    }
    const entries = lists.get(cdb.readUInt32BE(2));
    if (!entries) {
      throw new ScsiCheckConditionError({ format: 'fixed', deferred: false, key: 5, asc: 0x24, ascq: 0, field: { inCdb: true, byte: 2 } }, cdb);
    }
    lists.delete(cdb.readUInt32BE(2));
    const dataIn = encodeChallengeAnswers({ algorithm: 0, mode: 0, answers: entries.map((e) => answerOf(e.nonce, e.lba, e.blocks)) });
    expect(dataIn.length).toBe(dataInLength);
    return { status: 0, dataIn };
  };
  const session = {
    stats: { bytesSent: 0, bytesReceived: 0, pdusSent: 0, pdusReceived: 0 },
    async scsi(_lun: number, cdb: Buffer, options: { dataOut?: Buffer; dataInLength?: number; idempotent?: boolean } = {}) {
      const op = cdb[0]!;
      const n = (seen.get(op) ?? 0) + 1;
      seen.set(op, n);
      const drop = drops.findIndex((d) => d.opcode === op && d.nth === n);
      if (drop >= 0) {
        drops.splice(drop, 1);
        // It reached the old nexus; then the connection went, and the lists with it.
        if (op === SEND) deliver(cdb, options.dataOut, options.dataInLength);
        lists = new Map();
        if (!options.idempotent) throw new IscsiConnectionError('connection lost', { maybeExecuted: true });
      }
      return deliver(cdb, options.dataOut, options.dataInLength);
    },
  };
  return { session: session as unknown as ReconnectingSession, nonces, dropsLeft: drops };
}

const url = { host: 'h', port: 3260, targetName: 'iqn.2026-01.test:t', lun: 0 } as IscsiUrl;
const lunOn = (session: ReconnectingSession) => new RemoteLun(session, url, BLOCK, BLOCKS, challengeVpdFor(BLOCK, [0]));

/** A local reference answering as a faithful end does, recording the nonces it was asked. */
function localReference(): Reference & { nonces: string[] } {
  const nonces: string[] = [];
  return {
    nonces,
    sizeBytes: BLOCKS * BLOCK,
    describe: 'reference',
    algorithms: [0],
    answers: async (entries: readonly ChallengeEntry[], _a: ChallengeAlgorithmCode) =>
      entries.map((e) => {
        nonces.push(e.nonce.toString('hex'));
        return answerOf(e.nonce, e.lba, e.blocks);
      }),
    allocation: async () => undefined,
    read: async () => Buffer.alloc(0),
    close: async () => {},
  };
}

function expectAllDistinct(nonces: readonly string[]): void {
  const repeated = nonces.filter((n, i) => nonces.indexOf(n) !== i);
  expect(repeated).toEqual([]);
}

const run = (reference: Reference, replica: RemoteLun) =>
  verifyVolumes({ reference, replica, chunkBytes: CHUNK, algorithm: 0, depth: 1, entriesPerList: PER_LIST });

describe('verify draws fresh nonces for a list lost with the connection', () => {
  it('RECEIVE lost: the list is challenged again under new nonces, and both ends answer those', async () => {
    const replica = fakeSession([{ opcode: RECEIVE, nth: 2 }]);
    const reference = localReference();
    const report = await run(reference, lunOn(replica.session));
    expect(replica.dropsLeft).toEqual([]);
    expect(report.chunksChecked).toBe(BLOCKS / 8);
    expect(report.differingChunks).toBe(0);
    // One list sent twice: 8 lists of 16, plus the lost one's 16 again.
    expect(replica.nonces).toHaveLength(BLOCKS / 8 + PER_LIST);
    expectAllDistinct(replica.nonces);
  });

  it('SEND lost after it reached the target: not re-issued as it was, sent again under new nonces', async () => {
    const replica = fakeSession([{ opcode: SEND, nth: 3 }]);
    const reference = localReference();
    const report = await run(reference, lunOn(replica.session));
    expect(replica.dropsLeft).toEqual([]);
    expect(report.differingChunks).toBe(0);
    expect(replica.nonces).toHaveLength(BLOCKS / 8 + PER_LIST);
    expectAllDistinct(replica.nonces);
  });

  it('the list lost on a remote source: both ends get new nonces, neither sees one twice', async () => {
    const replica = fakeSession([]);
    const source = fakeSession([{ opcode: RECEIVE, nth: 4 }]);
    const report = await run(lunOn(source.session), lunOn(replica.session));
    expect(source.dropsLeft).toEqual([]);
    expect(report.differingChunks).toBe(0);
    expect(source.nonces).toHaveLength(BLOCKS / 8 + PER_LIST);
    expectAllDistinct(source.nonces);
    expectAllDistinct(replica.nonces);
  });

  it('three losses in a row still fail the verify (no endless retry)', async () => {
    const replica = fakeSession([
      { opcode: RECEIVE, nth: 1 },
      { opcode: RECEIVE, nth: 2 },
      { opcode: RECEIVE, nth: 3 },
    ]);
    await expect(run(localReference(), lunOn(replica.session))).rejects.toBeInstanceOf(IscsiConnectionError);
    expectAllDistinct(replica.nonces);
  });
});
