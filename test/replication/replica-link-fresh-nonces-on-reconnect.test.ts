/**
 * A resync's challenge lists carry each nonce to the backup once: a SEND CHALLENGE LIST lost
 * with a dropped connection is not re-issued as it was on the new nexus (the backup would see
 * its nonces twice). The pass fails instead, its chunks still marked, and the next one
 * challenges them under new nonces and brings the backup level.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IscsiConnectionError, ReconnectingSession, ScsiCheckConditionError } from '../../src/initiator/index.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { EntryField, LIST_ENTRY_BYTES, encodeChallengeAnswers, entryOffset, type ChallengeEntry } from '../../src/replica-protocol/index.js';
import { answerForData } from '../../src/verify/local-answers.js';

const BLOCK = 512;
const CHUNK = 8 * BLOCK;
const CHUNKS = 64;
const SIZE = CHUNKS * CHUNK;
const DIFFERING = [0, 17, 40, 63];
const SEND = 0xc2;
const SHA256 = 0;

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A backup holding `image` behind a session that answers challenge lists faithfully and
 * records every nonce reaching it. The `dropSend`th SEND CHALLENGE LIST reaches it, then the
 * connection drops (its lists die with the nexus); as a ReconnectingSession does, an
 * idempotent command is then issued again on the new nexus, any other fails.
 */
function fakeBackup(image: Buffer, dropSend: number) {
  const nonces: string[] = [];
  let lists = new Map<number, ChallengeEntry[]>();
  let sends = 0;
  const deliver = (cdb: Buffer, dataOut: Buffer | undefined) => {
    const listId = cdb.readUInt32BE(2);
    if (cdb[0] === SEND) {
      const entries: ChallengeEntry[] = [];
      for (let i = 0; i < dataOut!.readUInt32BE(0); i++) {
        const at = entryOffset(i);
        const nonce = Buffer.from(dataOut!.subarray(at + EntryField.NONCE, at + LIST_ENTRY_BYTES));
        nonces.push(nonce.toString('hex'));
        entries.push({ lba: dataOut!.readBigUInt64BE(at + EntryField.LBA), blocks: dataOut!.readUInt32BE(at + EntryField.EXTENT_LENGTH), nonce });
      }
      lists.set(listId, entries);
      return { status: 0 };
    }
    const entries = lists.get(listId);
    if (!entries) throw new ScsiCheckConditionError({ format: 'fixed', deferred: false, key: 5, asc: 0x24, ascq: 0, field: { inCdb: true, byte: 2 } }, cdb);
    lists.delete(listId);
    const answers = entries.map((e) => answerForData(image.subarray(Number(e.lba) * BLOCK, (Number(e.lba) + e.blocks) * BLOCK), e, SHA256));
    return { status: 0, dataIn: encodeChallengeAnswers({ algorithm: SHA256, mode: 0, answers }) };
  };
  const session = {
    reconnects: 0,
    current: undefined,
    stopReissues() {},
    destroy() {},
    async logout() {},
    async waitReady() {},
    async readCapacity16() {
      return { blockCount: BigInt(SIZE / BLOCK), blockSize: BLOCK, lbpme: false, lbprz: false };
    },
    // No C0h page: the link challenges with SHA-256.
    async inquiry() {
      throw new ScsiCheckConditionError({ format: 'fixed', deferred: false, key: 5, asc: 0x24, ascq: 0 }, Buffer.alloc(6));
    },
    async supportsCommand() {
      return false;
    },
    async write16(_lun: number, lba: number | bigint, data: Buffer) {
      data.copy(image, Number(lba) * BLOCK);
    },
    async synchronizeCache() {},
    async scsi(_lun: number, cdb: Buffer, options: { dataOut?: Buffer; idempotent?: boolean } = {}) {
      if (cdb[0] === SEND && ++sends === dropSend) {
        deliver(cdb, options.dataOut);
        lists = new Map();
        session.reconnects++;
        if (!options.idempotent) throw new IscsiConnectionError('connection lost', { maybeExecuted: true });
      }
      return deliver(cdb, options.dataOut);
    },
  };
  return { session, nonces };
}

describe('a resync never sends the backup a nonce twice', () => {
  it('a challenge list lost with the connection fails the pass, chunks still marked; the next pass challenges under new nonces', async () => {
    const primary = randomBytes(SIZE);
    const image = Buffer.from(primary);
    for (const c of DIFFERING) image[c * CHUNK + 100] ^= 0xff;
    const backup = fakeBackup(image, 2);
    vi.spyOn(ReconnectingSession, 'connect').mockResolvedValue(backup.session as unknown as ReconnectingSession);
    const link = await IscsiReplicaLink.connect({ url: 'iscsi://backup/iqn.2026-01.test:backup/0' });
    const dir = mkdtempSync(join(tmpdir(), 'tandem-nonces-'));
    dirs.push(dir);
    const table = await DeltaTable.open({ dir, volumeSize: SIZE, chunkSize: CHUNK });
    await table.markAll();
    const source = { read: async (c: number, buf: Buffer) => void primary.copy(buf, 0, c * CHUNK) };
    const pass = () => {
      const chunks = table.markedChunks();
      table.beginCopy(chunks);
      return runDeltaPass(table, ChunkSet.of(chunks), source, link, { compare: true });
    };

    const repeated = () => backup.nonces.filter((n, i) => backup.nonces.indexOf(n) !== i);

    const failed = await pass().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(repeated()).toEqual([]);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/challenge on replica failed/);
    expect(backup.session.reconnects).toBe(1);
    expect(table.dirtyChunks).toBe(CHUNKS);

    const result = await pass();
    expect(result.challengedChunks).toBe(CHUNKS);
    expect(table.dirtyChunks).toBe(0);
    expect(createHash('sha256').update(image).digest()).toEqual(createHash('sha256').update(primary).digest());
    expect(repeated()).toEqual([]);
    await table.close();
  });
});
