/**
 * A Text Request split with the C bit (RFC 7143 §6.2, §11.10.2): the target answers each
 * part but the last with an empty Text Response, F=0, whose Target Transfer Tag is not the
 * reserved 0xffffffff (§11.11.1, §11.11.4); the initiator copies that TTT into the next part.
 * A part with the reserved TTT starts a new request (§11.10.4).
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG } from '../../../src/iscsi/pdu/opcodes.js';
import { encodeTextRequest } from '../../../src/iscsi/pdu/text.js';
import { MemoryConnection, wire } from './helpers/memory-connection.js';
import { settle } from './helpers/settle.js';

const ITT = 0x40;

/** Sends one part of a Text Request (immediate, so CmdSN stays 1) and returns the target's answer to it. */
async function sendPart(c: MemoryConnection, text: string, opts: { continues: boolean; ttt: number }) {
  const data = Buffer.from(text);
  const before = c.output().length;
  const header = encodeTextRequest(
    { immediate: true, final: !opts.continues, continue: opts.continues, lun: 0n, itt: ITT, ttt: opts.ttt, cmdSN: 1, expStatSN: 1 },
    data.length,
  );
  c.push(wire(header, data, false));
  await settle();
  const answers = c.output().slice(before);
  expect(answers.map((o) => o.kind)).toEqual(['text-response']);
  const answer = answers[0]!;
  if (answer.kind !== 'text-response') throw new Error('unreachable');
  return { ...answer.pdu, text: answer.data.toString() };
}

describe('Text Request continued with the C bit', () => {
  it('acknowledges a part with F=0 and a TTT of its own, and answers the whole request once it ends', async () => {
    const c = new MemoryConnection();
    await settle();
    const ack = await sendPart(c, 'X-Foo=1\0X-B', { continues: true, ttt: RESERVED_TAG });
    expect([ack.final, ack.continue, ack.itt, ack.text]).toEqual([false, false, ITT, '']);
    expect(ack.ttt).not.toBe(RESERVED_TAG);

    const reply = await sendPart(c, 'ar=2\0', { continues: false, ttt: ack.ttt });
    expect([reply.final, reply.continue, reply.ttt, reply.text]).toEqual([true, false, RESERVED_TAG, 'X-Foo=NotUnderstood\0X-Bar=NotUnderstood\0']);
  });

  it('starts over when a part carries the reserved TTT', async () => {
    const c = new MemoryConnection();
    await settle();
    await sendPart(c, 'X-Foo=1\0', { continues: true, ttt: RESERVED_TAG });
    const reply = await sendPart(c, 'X-Bar=2\0', { continues: false, ttt: RESERVED_TAG });
    expect([reply.final, reply.text]).toEqual([true, 'X-Bar=NotUnderstood\0']);
  });

  it('sends an answer longer than MaxSendDataSegmentLength in pieces, each asked for with its TTT', async () => {
    const c = new MemoryConnection();
    await settle();
    const keys = Array.from({ length: 100 }, (_, i) => `X-K${String(i).padStart(2, '0')}`);
    const first = await sendPart(c, keys.map((k) => `${k}=1\0`).join(''), { continues: false, ttt: RESERVED_TAG });
    expect([first.final, first.continue, first.text.length]).toEqual([false, true, c.params.maxSendDataSegmentLength]);
    expect(first.ttt).not.toBe(RESERVED_TAG);

    const last = await sendPart(c, '', { continues: false, ttt: first.ttt });
    expect([last.final, last.continue, last.ttt]).toEqual([true, false, RESERVED_TAG]);
    expect(first.text + last.text).toBe(keys.map((k) => `${k}=NotUnderstood\0`).join(''));
  });
});
