/**
 * Holds of host writes overlap safely (HostWriteOrder.holding): one begun beside another (a
 * recovery point's hold during a switchover's drain, a restore during a promotion) or inside
 * it (a pass frozen under a switchover's hold) keeps host writes waiting until the last hold
 * ends, and starts only once the writes in progress are done. The gate used to open when
 * the first hold ended, so host writes ran — and were acknowledged — during the other's drain.
 */
import { expect, it } from 'vitest';
import { HostWriteOrder } from '../../src/replication/host-write-order.js';

function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

it('a write waits for the last of two holds side by side, not the first', async () => {
  const order = new HostWriteOrder();
  const events: string[] = [];
  const firstEnds = gate();
  const secondEnds = gate();
  const first = order.holding(async () => {
    await firstEnds.opened;
    events.push('first hold ends');
  });
  await turns(2);
  const second = order.holding(async () => {
    await secondEnds.opened;
    events.push('second hold ends');
  });
  await turns(2);
  const write = order.run({ offset: 0, length: 4096 }, async () => void events.push('write'));
  firstEnds.open();
  await first;
  await turns(5);
  expect(events).toEqual(['first hold ends']);
  secondEnds.open();
  await Promise.all([second, write]);
  expect(events).toEqual(['first hold ends', 'second hold ends', 'write']);
});

it('a hold inside a hold runs at once, and writes wait for the outer one', async () => {
  const order = new HostWriteOrder();
  const events: string[] = [];
  const outerEnds = gate();
  let write: Promise<void> | undefined;
  const outer = order.holding(async () => {
    await order.holding(async () => void events.push('inner'));
    write = order.run({ offset: 0, length: 4096 }, async () => void events.push('write'));
    await turns(5);
    events.push('outer ends');
    await outerEnds.opened;
  });
  await turns(2);
  outerEnds.open();
  await outer;
  await write;
  expect(events).toEqual(['inner', 'outer ends', 'write']);
});

it('a hold begun beside another still waits for the writes in progress', async () => {
  const order = new HostWriteOrder();
  const events: string[] = [];
  const writeEnds = gate();
  const write = order.run({ offset: 0, length: 4096 }, async () => {
    await writeEnds.opened;
    events.push('write done');
  });
  const first = order.holding(async () => void events.push('first hold'));
  const second = order.holding(async () => void events.push('second hold'));
  await turns(5);
  expect(events).toEqual([]);
  writeEnds.open();
  await Promise.all([write, first, second]);
  expect(events[0]).toBe('write done');
  expect(events.slice(1).sort()).toEqual(['first hold', 'second hold']);
});
