/**
 * The guest reports facts as lines `RESULT <key> <value...>` (guest/lib.sh `result`); the
 * host asserts on them. A key may repeat; lines that are not results are ignored.
 */
export class ScenarioResults {
  constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** The last value reported for `key`; throws naming the key when the guest never got there. */
  get(key: string): string {
    const all = this.values.get(key);
    if (!all || all.length === 0) throw new Error(`guest reported no result "${key}" (keys: ${[...this.values.keys()].join(', ') || 'none'})`);
    return all[all.length - 1]!;
  }

  /** `get` as an integer (exit codes, counts, sizes). */
  int(key: string): number {
    const v = this.get(key);
    if (!/^-?\d+$/.test(v)) throw new Error(`result "${key}" is "${v}", not an integer`);
    return Number(v);
  }

  all(key: string): readonly string[] {
    return this.values.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.values.keys()];
  }
}

export function parseResults(text: string): ScenarioResults {
  const values = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^RESULT (\S+)(?: (.*))?$/.exec(line.trimEnd());
    if (!m) continue;
    const key = m[1]!;
    const list = values.get(key) ?? [];
    list.push(m[2] ?? '');
    values.set(key, list);
  }
  return new ScenarioResults(values);
}
