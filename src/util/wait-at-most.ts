/**
 * Waits for `work`, but for at most `ms`: true when it settled in time, false when the time
 * ran out (its failure is not reported here). `unref`: the wait alone does not keep the
 * process alive (a background check), as a shutdown's wait must.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number, unref = false): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    if (unref) timer.unref();
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}
