import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import {
  ChallengeAlgorithm,
  ChallengeMode,
  computeChallengeAnswer,
  decodeChallengeAnswers,
  encodeChallengeCdb,
} from '../../../src/replica-protocol/index.js';
import { describeFailure, e2eTest, runScenario, targetKind, type ScenarioRun } from '../harness/scenario.js';

const MiB = 1024 * 1024;
const BLOCK = 512;
const BLOCKS = 8;
// Past 2 TiB, so the written extent's LBA needs bits 35-32 of the CDB (byte 1, low nibble).
const WRITTEN_LBA = 2n ** 32n + 2048n;
// Never written by anyone: the thin LUN reads zeroes there.
const ZERO_LBA = 4096n;
const LUN_SIZE = 2 ** 32 * BLOCK + 64 * MiB;
const title = "sg_raw sends the C1h CHALLENGE; the guest's answers match the host's HMAC over the written and the unwritten extent";

/** Two distinct fresh nonces: equal ones would make "different nonce, different answer" vacuous. */
function twoNonces(): [Buffer, Buffer] {
  const a = randomBytes(8);
  let b = randomBytes(8);
  while (b.equals(a)) b = randomBytes(8);
  return [a, b];
}

function readExtent(path: string, lba: bigint, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, Number(lba) * BLOCK);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** V_B from one challenge the guest sent, after checking the CDB and the Data-In framing. */
function answerOf(run: ScenarioRun, name: string, lba: bigint, nonce: Buffer): Buffer {
  const r = run.guest.results;
  expect(r.get(`${name}_nonce`)).toBe(nonce.toString('hex'));
  // The guest builds the CDB from the documented layout by hand; it must equal our encoder's.
  const cdb = encodeChallengeCdb({ algorithm: ChallengeAlgorithm.SHA256, lba, blocks: BLOCKS, nonce });
  expect(r.get(`${name}_cdb`)).toBe(cdb.toString('hex'));
  expect(r.int(`${name}_rc`), run.guest.out(`${name}.txt`)).toBe(0);
  const data = Buffer.from(r.get(`${name}_data`), 'hex');
  expect(data.length, 'Data-In is 40 bytes though the initiator asked for 64').toBe(40);
  const decoded = decodeChallengeAnswers(data);
  expect(decoded.algorithm).toBe(ChallengeAlgorithm.SHA256);
  expect(decoded.mode).toBe(ChallengeMode.HMAC);
  expect(decoded.answers).toHaveLength(1);
  return decoded.answers[0]!;
}

if (targetKind === 'tandem') {
  e2eTest(9, title, async () => {
    const [nonceA, nonceB] = twoNonces();
    const run = await runScenario({
      id: '09-vendor-challenge',
      script: '09-vendor-challenge.sh',
      targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:challenge', lunSizes: [LUN_SIZE] }],
      env: {
        WRITTEN_LBA: String(WRITTEN_LBA),
        ZERO_LBA: String(ZERO_LBA),
        BLOCKS: String(BLOCKS),
        NONCE_A: nonceA.toString('hex'),
        NONCE_B: nonceB.toString('hex'),
      },
    });
    const g = run.guest;
    const r = g.results;
    expect(g.exitCode, describeFailure(run)).toBe(0);
    expect(r.int('login_rc')).toBe(0);
    expect(r.int('sectors')).toBe(LUN_SIZE / BLOCK);
    expect(r.int('dd_rc'), g.out('dd.txt')).toBe(0);

    // The bytes the guest meant to write, and proof they reached the backing file, so a
    // mismatch below is the challenge's fault and not the write's.
    const pattern = readFileSync(join(g.jobDir, 'out', 'pattern.bin'));
    expect(pattern.length).toBe(BLOCKS * BLOCK);
    expect(readExtent(run.targets[0]!.spec.luns[0]!.path, WRITTEN_LBA, pattern.length).equals(pattern)).toBe(true);

    const vA = answerOf(run, 'written_a', WRITTEN_LBA, nonceA);
    const vB = answerOf(run, 'written_b', WRITTEN_LBA, nonceB);
    const vAagain = answerOf(run, 'written_a_again', WRITTEN_LBA, nonceA);
    const vZero = answerOf(run, 'zero_a', ZERO_LBA, nonceA);

    expect(vA.toString('hex')).toBe(computeChallengeAnswer({ data: pattern }, nonceA, WRITTEN_LBA, BLOCKS).toString('hex'));
    expect(vB.toString('hex')).toBe(computeChallengeAnswer({ data: pattern }, nonceB, WRITTEN_LBA, BLOCKS).toString('hex'));
    expect(vB.equals(vA), 'another nonce gives another answer').toBe(false);
    expect(vAagain.equals(vA), 'the same challenge gives the same answer').toBe(true);
    const zeroes = Buffer.alloc(BLOCKS * BLOCK);
    expect(vZero.toString('hex')).toBe(computeChallengeAnswer({ data: zeroes }, nonceA, ZERO_LBA, BLOCKS).toString('hex'));
    expect(r.int('logout_rc')).toBe(0);
  });
} else {
  // tgtd has no vendor commands; the scenario is Tandem's alone.
  test.skip(`9 ${title} [${targetKind}]`, () => {});
}
