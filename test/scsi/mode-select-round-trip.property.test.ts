/**
 * MODE SELECT(10) against what MODE SENSE(10) reports (SPC-4 §6.9-6.11): the current values
 * sent back unchanged are taken and change nothing (no MODE PARAMETERS CHANGED); the
 * changeable bits (WCE, D_SENSE, SWP, TAS) set to any values are taken and reported back
 * exactly; and any parameter list at all is either taken or refused with ILLEGAL REQUEST,
 * a refused one changing no page (all pages are checked before any is applied).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../src/scsi/types.js';
import { nexus, rig, senseOf, type Rig } from './helpers.js';

const CURRENT = 0;
const CHANGEABLE = 1;
const ALL_PAGES = 0x3f;

/** MODE SENSE(10) of every page, current values (or the changeable-bit masks), with the block descriptor. */
async function modeSense(r: Rig, pageControl = CURRENT): Promise<Buffer> {
  const res = await r.exec([0x5a, 0, (pageControl << 6) | ALL_PAGES, 0, 0, 0, 0, 0x10, 0x00, 0]);
  expect(res.status).toBe(ScsiStatus.GOOD);
  return res.dataIn!;
}

/** The MODE SENSE data as a MODE SELECT parameter list: MODE DATA LENGTH is reserved there, and so is each page's PS bit. */
function asSelectList(sense: Buffer): Buffer {
  const list = Buffer.from(sense);
  list.writeUInt16BE(0, 0);
  list[3] = 0; // device-specific parameter (WP, DPOFUA) is the device's to report
  for (let at = 8 + list.readUInt16BE(6); at + 2 <= list.length; at += 2 + list[at + 1]!) list[at] = list[at]! & 0x7f;
  return list;
}

async function modeSelect(r: Rig, list: Buffer) {
  return r.exec([0x55, 0x10, 0, 0, 0, 0, 0, list.length >> 8, list.length & 0xff, 0], list);
}

/** Byte offsets of each changeable bit within the parameter list, found by page code. */
function bits(list: Buffer): { wce: [number, number]; dSense: [number, number]; swp: [number, number]; tas: [number, number] } {
  const pages = new Map<number, number>();
  for (let at = 8 + list.readUInt16BE(6); at + 2 <= list.length; at += 2 + list[at + 1]!) pages.set(list[at]! & 0x3f, at);
  const caching = pages.get(0x08)!;
  const control = pages.get(0x0a)!;
  return { wce: [caching + 2, 0x04], dSense: [control + 2, 0x04], swp: [control + 4, 0x08], tas: [control + 5, 0x40] };
}

describe('MODE SELECT of what MODE SENSE reports', () => {
  it('the current values sent back change nothing, and nobody is told they did', async () => {
    const r = await rig();
    const other = nexus(2);
    r.target.nexusSeen(other);
    await r.exec([0x00], undefined, other);
    const before = await modeSense(r);
    expect((await modeSelect(r, asSelectList(before))).status).toBe(ScsiStatus.GOOD);
    expect(await modeSense(r)).toEqual(before);
    expect((await r.exec([0x00], undefined, other)).status).toBe(ScsiStatus.GOOD);
  });

  it('the changeable bits set to any values are reported back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ wce: fc.boolean(), dSense: fc.boolean(), swp: fc.boolean(), tas: fc.boolean() }), async (want) => {
        const r = await rig();
        const list = asSelectList(await modeSense(r));
        const at = bits(list);
        for (const k of ['wce', 'dSense', 'swp', 'tas'] as const) {
          const [byte, mask] = at[k];
          list[byte] = want[k] ? list[byte]! | mask : list[byte]! & ~mask;
        }
        expect((await modeSelect(r, list)).status).toBe(ScsiStatus.GOOD);
        const after = await modeSense(r);
        for (const k of ['wce', 'dSense', 'swp', 'tas'] as const) {
          const [byte, mask] = at[k];
          expect((after[byte]! & mask) !== 0, k).toBe(want[k]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a list refused for a later page applies none of the earlier ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('wce', 'dSense', 'swp', 'tas' as const), fc.constantFrom('length', 'fixed-bit', 'cut'), async (flip, spoil) => {
        const r = await rig();
        const before = await modeSense(r);
        const list = asSelectList(before);
        const [byte, mask] = bits(list)[flip];
        list[byte] = list[byte]! ^ mask;
        // The informational exceptions page comes last: spoil it.
        let last = 8 + list.readUInt16BE(6);
        while (last + 2 + list[last + 1]! < list.length) last += 2 + list[last + 1]!;
        const sent = spoil === 'cut' ? list.subarray(0, list.length - 1) : list;
        if (spoil === 'length') list[last + 1] = list[last + 1]! + 1;
        if (spoil === 'fixed-bit') list[last + 2] = list[last + 2]! ^ 0x01; // not changeable: refused
        const res = await modeSelect(r, sent);
        expect(res.status).toBe(ScsiStatus.CHECK_CONDITION);
        expect(await modeSense(r)).toEqual(before);
      }),
    );
  });

  it('any parameter list is taken or refused ILLEGAL REQUEST; a refused one changes no page, a taken one only changeable bits', async () => {
    const r = await rig();
    const valid = asSelectList(await modeSense(r));
    const changeable = await modeSense(r, CHANGEABLE);
    const pagesAt = 8 + valid.readUInt16BE(6);
    // Lists near a valid one (a byte or two changed, cut or extended) reach the page checks, not only the header's.
    const nearValid = fc
      .record({ edits: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), length: fc.integer({ min: 0, max: valid.length + 8 }) })
      .map(({ edits, length }) => {
        const list = Buffer.alloc(length);
        valid.copy(list, 0, 0, Math.min(length, valid.length));
        for (const [at, value] of edits) if (at < length) list[at] = value;
        return list;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearValid, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), async (list) => {
        const before = await modeSense(r);
        const res = await modeSelect(r, list);
        const after = await modeSense(r);
        if (res.status === ScsiStatus.GOOD) {
          for (let i = pagesAt; i < after.length; i++) expect((after[i]! ^ before[i]!) & ~changeable[i]! & 0xff, `byte ${i}`).toBe(0);
          return;
        }
        expect(res.status).toBe(ScsiStatus.CHECK_CONDITION);
        expect(senseOf(res).key).toBe(0x05);
        expect(after).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
