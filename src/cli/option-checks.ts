/** Checks shared by the flag and config-file parsers. */
import { UsageError } from '../util/usage-error.js';

const IQN_RE = /^(iqn\.\d{4}-\d{2}\.[^\s]+|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$/;

export function checkName(name: string, flag: string): string {
  if (!IQN_RE.test(name) || Buffer.byteLength(name) > 223) throw new UsageError(`${flag}: "${name}" is not a valid iSCSI name (iqn.YYYY-MM.domain:id)`);
  return name.toLowerCase();
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * KEY or KEY=VALUE of a comma-separated option list (--lun, --source), split at the first '='.
 * A second '=' is a malformed option, not a value cut short: split('=', 2) dropped it and all
 * after it (size=1G=junk read as 1G). `list` is the whole value, for the error.
 */
export function splitOption(opt: string, flag: string, list: string): { key: string; value: string | undefined } {
  const eq = opt.indexOf('=');
  const value = eq < 0 ? undefined : opt.slice(eq + 1);
  if (value?.includes('=')) throw new UsageError(`${flag}: malformed option "${opt}" in "${list}" (one '=' per option)`);
  return { key: eq < 0 ? opt : opt.slice(0, eq), value };
}

/** A count as typed: a whole number from 1 up ("0", "-1", "1.5", "abc" and " 5" with a sign or unit are not). */
export function positiveInteger(text: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: "${text}" is not a positive integer`);
  return n;
}

/**
 * yargs parses a number option's non-numeric value ("--lun abc") as NaN, and the checks after
 * it then quoted NaN ("not NaN"): name the value as typed, for every number option at once.
 * `argv`: what yargs parsed; `words`: the command line it parsed (no node, no script).
 */
export function rejectNonNumbers(argv: Record<string, unknown>, words: readonly string[]): void {
  const options = words.includes('--') ? words.slice(0, words.indexOf('--')) : words;
  const notNumber = (text: string): boolean => Number.isNaN(Number(text));
  for (const [key, value] of Object.entries(argv)) {
    // yargs adds a camelCase alias of every dashed flag: report each once, as typed.
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue;
    if (!(Array.isArray(value) ? value : [value]).some((v) => typeof v === 'number' && Number.isNaN(v))) continue;
    const asFlag = options.flatMap((w, i) => (w === `--${key}` ? [options[i + 1] ?? ''] : w.startsWith(`--${key}=`) ? [w.slice(key.length + 3)] : []));
    if (asFlag.length > 0) throw new UsageError(`--${key}: "${asFlag.find(notNumber) ?? asFlag[0]}" is not a number`);
    // A positional argument: the typed word no other argument took (quoted only when that is certain).
    const taken = new Set([...(argv._ as unknown[]).map(String), ...Object.values(argv).flat().filter((v): v is string => typeof v === 'string')]);
    const left = options.filter((w) => !w.startsWith('-') && !taken.has(w) && notNumber(w));
    throw new UsageError(`the ${key.toUpperCase()} argument${left.length === 1 ? ` "${left[0]}"` : ''} is not a number`);
  }
}
