/**
 * A string flag given without its value (`--chap` at the end of a line, `--config` before
 * another flag) reaches yargs as "" or an empty list, which reads as "not set": a target
 * would start open to anyone, or without its config file, with no word said. A repeatable
 * flag's bare occurrence leaves no trace in the parsed values at all, so the words typed
 * are read too. No flag takes an empty value: any is a usage error.
 */
import { UsageError } from '../util/usage-error.js';

const isStringValued = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** `argv`: what yargs parsed; `words`: the command line it parsed (no node, no script). */
export function rejectMissingValues(argv: Record<string, unknown>, words: readonly string[]): void {
  for (const [key, value] of Object.entries(argv)) {
    // yargs adds a camelCase alias of every dashed flag: report each flag once, as typed.
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue;
    if (value === '' || (Array.isArray(value) && (value.length === 0 || value.includes('')))) throw new UsageError(`--${key} needs a value`);
  }
  for (const [i, word] of words.entries()) {
    if (word === '--') return;
    const key = /^--([a-z0-9][a-z0-9-]*)$/.exec(word)?.[1];
    if (key === undefined || !isStringValued(argv[key])) continue;
    const next = words[i + 1];
    if (next === undefined || next.startsWith('-')) throw new UsageError(`--${key} needs a value`);
  }
}
