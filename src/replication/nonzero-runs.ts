/**
 * The parts of a buffer that are not zeroes, in granules: what a send onto a replica
 * region that holds nothing must carry. Its zero granules already read as zeroes there, and
 * writing them would allocate space the primary does not use (a chunk partly allocated here
 * would end wholly allocated on the replica).
 */

/** [start, end) byte ranges of `data` holding a non-zero byte, merged, cut at `granule` boundaries. */
export function nonZeroRuns(data: Buffer, granule: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const zero = Buffer.alloc(Math.min(granule, data.length));
  for (let at = 0; at < data.length; at += granule) {
    const end = Math.min(at + granule, data.length);
    // Buffer.compare runs natively: far cheaper than a byte loop over every chunk sent.
    if (data.compare(zero, 0, end - at, at, end) === 0) continue;
    const last = out[out.length - 1];
    if (last && last[1] === at) last[1] = end;
    else out.push([at, end]);
  }
  return out;
}
