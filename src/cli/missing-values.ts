/**
 * A flag given without its value (`--chap` at the end of a line, `--config` before another
 * flag, `--lun` so) reaches yargs as "", an empty list, or (a number flag) no value at all,
 * which reads as "not set": a target would start open to anyone, or without its config file,
 * an admin action would apply to every LUN, with no word said. A repeatable flag's bare
 * occurrence leaves no trace in the parsed values at all, so the words typed are read too.
 * No flag, and no positional argument, takes an empty value: any is a usage error.
 */
import { UsageError } from '../util/usage-error.js';

const isStringValued = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** What yargs takes as a flag's value although it starts with "-" (yargs-parser's own pattern). */
const NEGATIVE_NUMBER = /^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/;

/** `argv`: what yargs parsed; `words`: the command line it parsed (no node, no script). */
export function rejectMissingValues(argv: Record<string, unknown>, words: readonly string[]): void {
  const options = words.includes('--') ? words.slice(0, words.indexOf('--')) : words;
  const typed = (key: string): boolean =>
    [key, key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())].some((k) => options.some((w) => w === `--${k}` || w.startsWith(`--${k}=`)));
  for (const [key, value] of Object.entries(argv)) {
    // yargs adds a camelCase alias of every dashed flag: report each flag once, as typed.
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue;
    const empty = value === '' || (Array.isArray(value) && (value.length === 0 || value.includes('')));
    // A number flag with nothing after it is parsed as present without a value.
    if (typed(key) && (empty || value === undefined)) throw new UsageError(`--${key} needs a value`);
    // Not typed as a flag: a positional argument (`tandem probe ""`), named as the help names it.
    if (empty) throw new UsageError(`the ${key.toUpperCase()} argument is empty`);
  }
  for (const [i, word] of options.entries()) {
    // `--lun=` parses as LUN 0.
    const bare = /^--([a-z0-9][a-z0-9-]*)=$/.exec(word)?.[1];
    if (bare !== undefined && bare in argv) throw new UsageError(`--${bare} needs a value`);
    const key = /^--([a-z0-9][a-z0-9-]*)$/.exec(word)?.[1];
    if (key === undefined || !isStringValued(argv[key])) continue;
    const next = options[i + 1];
    if (next === undefined || (next.startsWith('-') && !NEGATIVE_NUMBER.test(next))) throw new UsageError(`--${key} needs a value`);
  }
}
