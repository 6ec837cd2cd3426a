/**
 * Where a point's image reads zeroes for sure, without reading it: a hole of the live image
 * that no store of the point's chain holds. The stores are asked once the image has
 * answered: a unit changed since the point was taken is held by a store (its old bytes
 * copied, durably) before the image changes, so a unit no store holds then still has in
 * the image the bytes the point reads — a hole, zeroes. Anything else may hold data.
 */
import type { PointChain } from './point-reader.js';

/** The extent from `offset` (at most `maxLength` bytes): unmapped where the point surely reads zeroes. */
export async function pointAllocation(chain: PointChain, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
  const g = chain.geometry.granularity;
  const { mapped, length } = await chain.image.allocation(offset, maxLength);
  if (mapped || length <= 0) return { mapped: true, length: length > 0 ? length : maxLength };
  let next = offset + Math.min(length, maxLength);
  const [first, stop] = [Math.floor(offset / g), Math.ceil(next / g)];
  for (const store of chain.stores()) {
    const held = store.held.nextSet(first, stop);
    if (held >= 0) next = Math.min(next, Math.max(offset, held * g));
  }
  // A store holds the unit at `offset`: that unit may hold data.
  if (next === offset) return { mapped: true, length: Math.min(maxLength, (first + 1) * g - offset) };
  return { mapped: false, length: next - offset };
}
