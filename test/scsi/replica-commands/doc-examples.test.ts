import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { itXxh3 } from '../../native/xxh3-build.js';
import { write10 } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

const DOC = readFileSync(new URL('../../../docs/vendor-commands.md', import.meta.url), 'utf8');

/**
 * An example of the doc as written there: the CDBs of its `sg_raw ... /dev/sdX <16 bytes>`
 * lines and its expected Data-In (the first code block without a language), so the doc
 * cannot drift from what the target answers.
 */
function docExample(heading: string): { cdbs: Buffer[]; expected: string } {
  const at = DOC.indexOf(`### ${heading}`);
  if (at < 0) throw new Error(`docs/vendor-commands.md has no example "${heading}"`);
  const section = DOC.slice(at, DOC.indexOf('\n#', at + 4));
  const cdbs = [...section.matchAll(/^sg_raw .*\/dev\/sdX ((?:[0-9A-Fa-f]{2} ){15}[0-9A-Fa-f]{2})$/gm)].map((m) => hex(m[1]!));
  const expected = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].find((m) => m[1] === '')?.[2];
  if (cdbs.length === 0 || expected === undefined) throw new Error(`example "${heading}" lost its sg_raw lines or its expected Data-In`);
  return { cdbs, expected: expected.replace(/\s+/g, '') };
}

/** The hex a reader pastes after `sg_raw ... /dev/sdX` in docs/vendor-commands.md. */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const byteIndexPattern = Buffer.from(Array.from({ length: 4096 }, (_, i) => i & 0xff));
/** The list.bin of Example 2 (and 5). */
const exampleList = () =>
  hex(`00000002 00000000
      0000000000000010 00000008 00000000 000102030405060708090a0b0c0d0e0f
      0000000000000000 00000001 00000000 ffeeddccbbaa99887766554433221100`);

describe('the worked examples of docs/vendor-commands.md', () => {
  it('§Example 1: CHALLENGE of the zeroed LBA 0 with nonce 0123456789abcdef', async () => {
    const { exec } = await vendorRig();
    const r = await exec(hex('C1 00 00 00 00 00 01 01 23 45 67 89 AB CD EF 00'));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.toString('hex')).toBe('0000002000000001' + '5d8db248baaab641616008518774a5d93ab2e604f111756988788f22fd066588');
  });

  it('§Example 2: SEND CHALLENGE LIST of two entries, then RECEIVE CHALLENGE ANSWERS', async () => {
    const { exec } = await vendorRig();
    await exec(write10(16, 8), byteIndexPattern);
    const list = exampleList();
    expect(list.length).toBe(72);
    expect((await exec(hex('C2 00 00 00 00 01 00 00 00 48 00 00 00 00 00 00'), list)).status).toBe(ScsiStatus.GOOD);
    const r = await exec(hex('C3 00 00 00 00 01 00 00 00 48 00 00 00 00 00 00'));
    expect(r.dataIn!.toString('hex')).toBe(
      '0000002000000002' +
        '6a4ec844e12d1614ab2ec948743ecb30657814fd004871c05a8d0732b483ed9e' +
        '0c5d6b7c477d85d9e6338cae706df4e7d4fa4239f556afadfd763f11ab2468ff',
    );
  });

  it('§Example 3: reversible mode returns R for the zeroed LBA 0', async () => {
    const { exec } = await vendorRig();
    const list = hex('00000001 00000000 0000000000000000 00000001 00000000 c8e5ca6b0c3e5668551e32f9aeafc939');
    expect((await exec(hex('C2 01 00 00 00 02 00 00 00 28 00 00 00 00 00 00'), list)).status).toBe(ScsiStatus.GOOD);
    const r = await exec(hex('C3 00 00 00 00 02 00 00 00 18 00 00 00 00 00 00'));
    expect(r.dataIn!.toString('hex')).toBe('0100001000000001' + '00112233445566778899aabbccddeeff');
  });

  itXxh3('§Example 4: CHALLENGE with ALGORITHM 1 (XXH3-128), replayed from the doc', async () => {
    const { exec } = await vendorRig();
    const { cdbs, expected } = docExample('Example 4');
    expect(cdbs).toHaveLength(1);
    const r = await exec(cdbs[0]!);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.toString('hex')).toBe(expected);
  });

  itXxh3('§Example 5: the list of Example 2 with ALGORITHM 1, replayed from the doc; MODE 1 with it is refused', async () => {
    const { exec } = await vendorRig();
    await exec(write10(16, 8), byteIndexPattern);
    const { cdbs, expected } = docExample('Example 5');
    expect(cdbs).toHaveLength(2);
    expect((await exec(cdbs[0]!, exampleList())).status).toBe(ScsiStatus.GOOD);
    const r = await exec(cdbs[1]!);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.toString('hex')).toBe(expected);
    const reversible = Buffer.from(cdbs[0]!);
    reversible[1] = 0x11;
    expect((await exec(reversible, exampleList())).status).toBe(ScsiStatus.CHECK_CONDITION);
  });
});
