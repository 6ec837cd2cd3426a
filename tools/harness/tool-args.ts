/**
 * Command-line parsing for the bench and conformance tools: unknown options and numbers
 * that are not numbers refused, a misuse answered with one line naming the problem and exit
 * status 2, not yargs' usage page (as `tandem` itself answers; `--help` still prints it).
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';

/** What a misuse does: one line on stderr and exit status 2 (a test passes its own). */
export interface MisuseAnswer {
  write(line: string): void;
  exit(code: number): never;
}

const PROCESS_ANSWER: MisuseAnswer = { write: (line) => process.stderr.write(line), exit: (code) => process.exit(code) };

export function toolArgs(args: string[] = hideBin(process.argv), answer: MisuseAnswer = PROCESS_ANSWER): Argv {
  return yargs(args)
    .strict()
    // A number option given something else parses as NaN: refused, not run with.
    .check((argv) => {
      const bad = Object.entries(argv).find(([key, value]) => key !== '_' && typeof value === 'number' && !Number.isFinite(value));
      return bad ? `--${bad[0]} must be a number` : true;
    })
    .fail((msg, err) => {
      // yargs' own validation errors are misuse; anything else is a fault of the tool.
      if (err instanceof Error && err.name !== 'YError') throw err;
      answer.write(`${process.argv[1]?.split('/').pop() ?? 'tool'}: ${msg ?? String(err)}\n`);
      answer.exit(2);
    });
}
