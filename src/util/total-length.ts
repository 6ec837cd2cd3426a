/** The bytes a list of buffers holds together (a gather list, a vectored write). */
export function totalLength(bufs: readonly Buffer[]): number {
  let total = 0;
  for (const b of bufs) total += b.length;
  return total;
}
