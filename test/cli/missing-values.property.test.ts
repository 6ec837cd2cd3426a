/**
 * rejectMissingValues over random command lines: a string flag followed by a value is let
 * through wherever it stands; a string flag with nothing after it, or followed by another
 * flag, is refused naming that flag; boolean flags and positionals never are.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rejectMissingValues } from '../../src/cli/missing-values.js';
import { UsageError } from '../../src/util/usage-error.js';

const STRING_FLAGS = ['chap', 'lun', 'listen', 'config', 'mutual-chap'] as const;
const BOOLEAN_FLAGS = ['json', 'force', 'sync'] as const;

type Word = { kind: 'string'; flag: string; value: string | undefined } | { kind: 'boolean'; flag: string } | { kind: 'positional'; value: string };

const value = fc.stringMatching(/^[a-z0-9./:=,]{1,12}$/);
const word: fc.Arbitrary<Word> = fc.oneof(
  fc.record({ kind: fc.constant('string' as const), flag: fc.constantFrom(...STRING_FLAGS), value: fc.option(value, { nil: undefined }) }),
  fc.record({ kind: fc.constant('boolean' as const), flag: fc.constantFrom(...BOOLEAN_FLAGS) }),
  fc.record({ kind: fc.constant('positional' as const), value }),
);

/** The words typed, and argv as yargs would parse them (a bare string flag: "", repeated ones: a list). */
function commandLine(words: readonly Word[]): { typed: string[]; argv: Record<string, unknown> } {
  const typed: string[] = [];
  const argv: Record<string, unknown> = { _: [], $0: 'tandem' };
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    const next = words[i + 1];
    // A word after a string flag typed without one is that flag's value, as yargs reads it.
    if (w.kind === 'string' && w.value === undefined && next?.kind === 'positional') {
      w = { ...w, value: next.value };
      i++;
    }
    if (w.kind === 'positional') {
      typed.push(w.value);
      (argv._ as string[]).push(w.value);
    } else if (w.kind === 'boolean') {
      typed.push(`--${w.flag}`);
      argv[w.flag] = true;
    } else {
      typed.push(`--${w.flag}`, ...(w.value !== undefined ? [w.value] : []));
      const prior = argv[w.flag];
      argv[w.flag] = prior === undefined ? (w.value ?? '') : [...(Array.isArray(prior) ? prior : [prior]), ...(w.value !== undefined ? [w.value] : [])];
    }
  }
  return { typed, argv };
}

describe('rejectMissingValues (property)', () => {
  it('refuses exactly the lines with a string flag missing its value, naming the first', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (words) => {
        const { typed, argv } = commandLine(words);
        const bare = typed.findIndex((t, i) => STRING_FLAGS.some((f) => t === `--${f}`) && (typed[i + 1] === undefined || typed[i + 1]!.startsWith('-')));
        let thrown: unknown;
        try {
          rejectMissingValues(argv, typed);
        } catch (e) {
          thrown = e;
        }
        if (bare === -1) expect(thrown).toBeUndefined();
        else {
          expect(thrown).toBeInstanceOf(UsageError);
          expect((thrown as Error).message).toMatch(/^--[a-z-]+ needs a value$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
