/**
 * The failure tests' loss check (missingWrites): an acknowledged write whose extent a later
 * write, never acknowledged (in flight at a kill), may have overwritten is not lost when the
 * extent holds that later write's data — and is lost when it holds anything else.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { missingWrites, sha256, type AckedWrite, type UnacknowledgedWrite } from './host-writer.js';

const SLOT = 4096;

function acked(offset: number, data: Buffer, lun = 0): AckedWrite {
  return { offset, length: data.length, lun, sha256: sha256(data), ackedAt: 0, node: 'n', worker: 0 };
}

function unacknowledged(offset: number, data: Buffer, lun = 0): UnacknowledgedWrite {
  return { offset, length: data.length, lun, sha256: sha256(data), worker: 0 };
}

describe('missingWrites', () => {
  const first = randomBytes(SLOT);
  const rewrite = randomBytes(SLOT);
  const other = randomBytes(SLOT);
  const image = Buffer.alloc(4 * SLOT);
  first.copy(image, 0);
  rewrite.copy(image, SLOT);
  other.copy(image, 2 * SLOT);

  it('finds an acknowledged write whose extent holds something else', () => {
    expect(missingWrites(image, [acked(0, first), acked(SLOT, first)]).map((w) => w.offset)).toEqual([SLOT]);
  });

  it('accepts the data of a write to the same extent that was never acknowledged', () => {
    expect(missingWrites(image, [acked(SLOT, first)], 0, [unacknowledged(SLOT, rewrite)])).toEqual([]);
  });

  it('does not accept an unacknowledged write of another extent, another LUN, or other data', () => {
    const written = [acked(2 * SLOT, first)];
    expect(missingWrites(image, written, 0, [unacknowledged(SLOT, other)])).toHaveLength(1);
    expect(missingWrites(image, written, 0, [unacknowledged(2 * SLOT, other, 1)])).toHaveLength(1);
    expect(missingWrites(image, written, 0, [unacknowledged(2 * SLOT, rewrite)])).toHaveLength(1);
  });
});
