/** Lets the target's pending callbacks and promise chains run (a few event-loop turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
