/** The bench and conformance tools' parser: a misuse is one line and exit status 2, never a run with NaN counts. */
import { describe, expect, it } from 'vitest';
import { toolArgs, type MisuseAnswer } from '../../tools/harness/tool-args.js';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Parses `args` with a --rounds number option; returns the lines written and the exit code, or the parsed rounds. */
async function parse(args: string[]): Promise<{ lines: string[]; code?: number; rounds?: number }> {
  const lines: string[] = [];
  const answer: MisuseAnswer = {
    write: (line) => void lines.push(line),
    exit: (code) => {
      throw new Exited(code);
    },
  };
  try {
    const argv = await toolArgs(args, answer).option('rounds', { type: 'number', default: 3 }).parse();
    return { lines, rounds: argv.rounds };
  } catch (e) {
    if (e instanceof Exited) return { lines, code: e.code };
    throw e;
  }
}

describe('toolArgs', () => {
  it('takes numbers as numbers', async () => {
    expect(await parse(['--rounds', '5'])).toEqual({ lines: [], rounds: 5 });
    expect(await parse([])).toEqual({ lines: [], rounds: 3 });
  });

  it('refuses a number option given something else with one line naming it, exit 2', async () => {
    const r = await parse(['--rounds', 'x']);
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/--rounds must be a number\n$/);
  });

  it('refuses an unknown option with one line naming it, exit 2', async () => {
    const r = await parse(['--round', '5']);
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/round/);
    expect(r.lines[0]!.trimEnd()).not.toContain('\n');
  });
});
