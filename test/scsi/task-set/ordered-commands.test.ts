/**
 * Task attributes through the SCSI dispatcher: commands run when their attribute allows
 * (an ORDERED command after every older one completed, later SIMPLE ones after it), and a
 * command that leaves without running (aborted before its data came) releases the ones
 * behind it.
 */
import { describe, expect, it } from 'vitest';
import type { CommandDescriptor } from '../../../src/scsi/descriptor.js';
import { Asc, SenseError, SenseKey } from '../../../src/scsi/sense.js';
import { ScsiStatus, TaskAttribute, type PreparedCommand } from '../../../src/scsi/types.js';
import { cdbOf, nexus, rig } from '../helpers.js';
import { GATED, gatedCommands } from './gated-commands.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('task attributes', () => {
  async function setup() {
    const g = gatedCommands();
    const { target } = await rig({ extra: [g.descriptor] });
    const send = (id: number, attribute: number, who = nexus(1)): { plan: PreparedCommand; result?: Promise<number> } => {
      const plan = target.prepare({ nexus: who, lun: 0, cdb: cdbOf([GATED, id]), expectedLength: 0, read: false, write: false, taskAttribute: attribute });
      return { plan };
    };
    const run = (id: number, attribute: number, who = nexus(1)) => send(id, attribute, who).plan.run(undefined).then((r) => r.status);
    return { ...g, send, run };
  }

  it('an ORDERED command starts after every older one completed; newer SIMPLE ones wait for it', async () => {
    const { events, open, run } = await setup();
    const a = run(1, TaskAttribute.SIMPLE);
    const b = run(2, TaskAttribute.SIMPLE);
    const o = run(3, TaskAttribute.ORDERED);
    const c = run(4, TaskAttribute.SIMPLE);
    await settle();
    expect(events).toEqual(['start 1', 'start 2']);
    open(2);
    await settle();
    expect(events).toEqual(['start 1', 'start 2', 'end 2']);
    open(1);
    await settle();
    expect(events).toEqual(['start 1', 'start 2', 'end 2', 'end 1', 'start 3']);
    open(3);
    await settle();
    expect(events.slice(-2)).toEqual(['end 3', 'start 4']);
    open(4);
    expect(await Promise.all([a, b, o, c])).toEqual([ScsiStatus.GOOD, ScsiStatus.GOOD, ScsiStatus.GOOD, ScsiStatus.GOOD]);
  });

  it('the task set is one per logical unit: an ORDERED command waits for other initiators\' commands too', async () => {
    const { events, open, run } = await setup();
    const a = run(1, TaskAttribute.SIMPLE, nexus(2));
    const o = run(2, TaskAttribute.ORDERED, nexus(1));
    await settle();
    expect(events).toEqual(['start 1']);
    open(1);
    await settle();
    expect(events).toEqual(['start 1', 'end 1', 'start 2']);
    open(2);
    await Promise.all([a, o]);
  });

  it('HEAD OF QUEUE starts at once, even behind a waiting ORDERED command', async () => {
    const { events, open, run } = await setup();
    const a = run(1, TaskAttribute.SIMPLE);
    const o = run(2, TaskAttribute.ORDERED);
    const h = run(3, TaskAttribute.HEAD_OF_QUEUE);
    await settle();
    expect(events).toEqual(['start 1', 'start 3']);
    open(3);
    open(1);
    await settle();
    expect(events).toEqual(['start 1', 'start 3', 'end 3', 'end 1', 'start 2']);
    open(2);
    await Promise.all([a, o, h]);
  });

  it('a command that ends without running (aborted while waiting for its data) aborts the ORDERED one behind it; later ones run', async () => {
    const { events, open, send, run } = await setup();
    const never = send(1, TaskAttribute.SIMPLE);
    const o = run(2, TaskAttribute.ORDERED);
    await settle();
    expect(events).toEqual([]);
    never.plan.drop?.();
    // Whoever sent 2 ORDERED counted on 1 landing first: 2 must not land alone.
    expect(await o).toBe(ScsiStatus.TASK_ABORTED);
    const c = run(3, TaskAttribute.SIMPLE);
    await settle();
    expect(events).toEqual(['start 3']);
    open(3);
    expect(await c).toBe(ScsiStatus.GOOD);
  });

  it('a command that fails (CHECK CONDITION) aborts the commands waiting behind it, not those running beside it', async () => {
    const g = gatedCommands();
    const failing: CommandDescriptor = { ...g.descriptor, name: 'FAILING', opcode: 0xc1, usage: [0xc1, 0xff, 0, 0, 0, 0], prepare: () => ({ dataOutLength: 0, run: () => Promise.reject(new SenseError({ key: SenseKey.MEDIUM_ERROR, asc: Asc.WRITE_ERROR })) }) };
    const { target } = await rig({ extra: [g.descriptor, failing] });
    const run = (cdb: number[], attribute: number) => target.prepare({ nexus: nexus(1), lun: 0, cdb: cdbOf(cdb), expectedLength: 0, read: false, write: false, taskAttribute: attribute }).run(undefined).then((r) => r.status);
    const beside = run([GATED, 1], TaskAttribute.SIMPLE);
    const bad = run([0xc1, 2], TaskAttribute.SIMPLE);
    const ordered = run([GATED, 3], TaskAttribute.ORDERED);
    const after = run([GATED, 4], TaskAttribute.SIMPLE);
    expect(await bad).toBe(ScsiStatus.CHECK_CONDITION);
    expect(await ordered).toBe(ScsiStatus.TASK_ABORTED);
    expect(await after).toBe(ScsiStatus.TASK_ABORTED);
    g.open(1);
    expect(await beside).toBe(ScsiStatus.GOOD);
    expect(g.events).toEqual(['start 1', 'end 1']);
  });

  it('an ORDERED command aborted while it waits its turn never runs, and answers TASK ABORTED', async () => {
    const { events, open, send, run } = await setup();
    const a = run(1, TaskAttribute.SIMPLE);
    const o = send(2, TaskAttribute.ORDERED);
    const result = o.plan.run(undefined);
    await settle();
    o.plan.abandon?.();
    expect((await result).status).toBe(ScsiStatus.TASK_ABORTED);
    const c = run(3, TaskAttribute.SIMPLE);
    await settle();
    // The aborted one left the set: the newer SIMPLE command waits only for what is older and live.
    expect(events).toEqual(['start 1']);
    open(1);
    await settle();
    expect(events).toEqual(['start 1', 'end 1', 'start 3']);
    open(3);
    await Promise.all([a, c]);
  });
});
