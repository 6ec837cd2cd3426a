/**
 * A timer task's failure is caught (an unhandled rejection would end the process) and
 * logged once while it recurs the same way; a success or another error logs anew.
 */
import { expect, it } from 'vitest';
import { pino } from 'pino';
import { RecurringFailure } from '../../src/util/recurring-failure.js';

it('logs a recurring failure once, and again after a success or a different error', async () => {
  const lines: Array<{ event: string; error: string }> = [];
  const log = pino({ level: 'error' }, { write: (l: string) => void lines.push(JSON.parse(l) as { event: string; error: string }) });
  const failures = new RecurringFailure(log, 'tick-failed', 'the tick');
  const fail = (why: string) => () => Promise.reject(new Error(why));
  await failures.run(fail('ENOSPC'));
  await failures.run(fail('ENOSPC'));
  await failures.run(fail('EIO'));
  await failures.run(() => Promise.resolve());
  await failures.run(fail('EIO'));
  expect(lines.map((l) => [l.event, l.error])).toEqual([
    ['tick-failed', 'ENOSPC'],
    ['tick-failed', 'EIO'],
    ['tick-failed', 'EIO'],
  ]);
});
