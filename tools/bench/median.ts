/** The median of the rounds' figures (the upper one of an even count); the benches report these. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
