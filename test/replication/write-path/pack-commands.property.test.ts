/**
 * packCommands: every group goes in exactly one command, in a pack only when it is a small
 * write; packs respect the range and byte limits; without WRITE SCATTERED every group is a
 * command of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packCommands, type ShipGroup } from '../../../src/replication/ship-groups.js';

const groupsArb = fc.array(
  fc.record({ blocks: fc.integer({ min: 1, max: 40 }), discard: fc.boolean() }),
  { maxLength: 60 },
).map((specs) => {
  let offset = 0;
  return specs.map((s): ShipGroup => {
    const g = { offset, length: s.blocks * 4096, discard: s.discard, changes: [] };
    offset += g.length + 4096;
    return g;
  });
});

describe('packCommands', () => {
  it('each group once; packs hold only small writes, within the limits; order of groups kept', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 4096, max: 256 * 1024 }), (groups, maxRanges, maxBytes) => {
        const commands = packCommands(groups, maxRanges, maxBytes);
        const flat = commands.flat();
        expect(new Set(flat).size).toBe(groups.length);
        expect(flat.length).toBe(groups.length);
        for (const c of commands) {
          expect(c.length).toBeGreaterThan(0);
          if (c.length === 1) continue;
          expect(c.length).toBeLessThanOrEqual(maxRanges);
          expect(c.reduce((n, g) => n + g.length, 0)).toBeLessThanOrEqual(maxBytes);
          for (const g of c) {
            expect(g.discard).toBe(false);
            expect(g.length * 2).toBeLessThanOrEqual(maxBytes);
          }
        }
        // Within a pack, and among the commands of single groups, the groups keep their order.
        for (const c of commands) for (let i = 1; i < c.length; i++) expect(c[i]!.offset).toBeGreaterThan(c[i - 1]!.offset);
        if (maxRanges < 2) expect(commands.every((c) => c.length === 1)).toBe(true);
      }),
    );
  });

  it('packs as full as the limits allow: a pack closes only when the next group would not fit', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 2, max: 10 }), fc.integer({ min: 8192, max: 256 * 1024 }), (groups, maxRanges, maxBytes) => {
        const packs = packCommands(groups, maxRanges, maxBytes).filter((c) => !(c.length === 1 && (c[0]!.discard || c[0]!.length * 2 > maxBytes)));
        for (let i = 0; i + 1 < packs.length; i++) {
          const bytes = packs[i]!.reduce((n, g) => n + g.length, 0);
          expect(packs[i]!.length === maxRanges || bytes + packs[i + 1]![0]!.length > maxBytes).toBe(true);
        }
      }),
    );
  });
});
