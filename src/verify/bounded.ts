/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` running at once: each
 * worker takes the next index when its previous task ends. The first failure stops new
 * tasks from starting and is rethrown once the running ones have settled.
 */
export async function forEachBounded(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure.error;
}
