/**
 * A backup's live image and its point store on storage that forgets at a power loss
 * (PowerLossBlockStore, PowerLossFiles), every I/O completing at a step a seeded scheduler
 * picks. A workload of writes and discards (each after beforeOverwrite, as the engine
 * does), flushes, takes, prunes, points given up for space, retention, restores and point
 * reads runs with operations
 * in flight together, then the power fails; the LUN may be grown before it is opened again.
 * The model: each point's image as it was when its take was issued (writes are held from
 * then until the take resolves), zeroes past its end after a growth.
 */
import fc from 'fast-check';
import { PointError, PointStore } from '../../../src/replication/points/point-store.js';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { PowerLossBlockStore, type CrashKeep } from '../../support/power-loss-store.js';
import { SimNode, SimScheduler, runToCrash, runUntil, seededRng, type Rng, type SimPlace } from '../../support/sim-scheduler.js';
import { prng, patterned, silentLogger } from './point-harness.js';

export const BLOCK = 512;
const META = '/lun.tandem';
const MINUTE = 60_000;

export type Step =
  | { kind: 'write'; block: number; blocks: number }
  | { kind: 'discard'; block: number; blocks: number }
  | { kind: 'flush' }
  | { kind: 'take'; advanceMin: number }
  | { kind: 'prune'; pick: number }
  | { kind: 'give-up'; pick: number }
  | { kind: 'retain'; last: number }
  | { kind: 'restore'; pick: number }
  | { kind: 'read'; pick: number; block: number; blocks: number };

export interface Scenario {
  volumeBlocks: number;
  granularity: number;
  steps: Step[];
  /** The power fails once this fraction of the steps is issued… */
  crashAfter: number;
  /** …and this many more I/O steps have run. */
  crashExtra: number;
  keep: CrashKeep;
  seed: number;
  /** After the power loss the LUN is grown to this many blocks (the new part holding stale bytes) before it is opened again. */
  growBlocks?: number | undefined;
}

export function stepArb(blocks: number): fc.Arbitrary<Step> {
  const range = fc.record({ block: fc.integer({ min: 0, max: blocks - 1 }), blocks: fc.integer({ min: 1, max: 12 }) }).map((r) => ({ block: r.block, blocks: Math.min(r.blocks, blocks - r.block) }));
  return fc.oneof(
    { weight: 8, arbitrary: range.map((r) => ({ kind: 'write' as const, ...r })) },
    { weight: 2, arbitrary: range.map((r) => ({ kind: 'discard' as const, ...r })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 120 }).map((advanceMin) => ({ kind: 'take' as const, advanceMin })) },
    { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((pick) => ({ kind: 'prune' as const, pick })) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((pick) => ({ kind: 'give-up' as const, pick })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((last) => ({ kind: 'retain' as const, last })) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((pick) => ({ kind: 'restore' as const, pick })) },
    { weight: 2, arbitrary: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), range).map(([pick, r]) => ({ kind: 'read' as const, pick, ...r })) },
  );
}

export function scenarioArb(): fc.Arbitrary<Scenario> {
  return fc
    .record({
      volumeBlocks: fc.constantFrom(64, 60, 96),
      granularity: fc.constantFrom(512, 1024, 4096),
    })
    .chain(({ volumeBlocks, granularity }) =>
      fc.record({
        volumeBlocks: fc.constant(volumeBlocks),
        granularity: fc.constant(granularity),
        steps: fc.array(stepArb(volumeBlocks), { minLength: 1, maxLength: 60, size: 'max' }),
        crashAfter: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
        crashExtra: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 }) }),
        keep: fc.constantFrom<CrashKeep>('none', 'some'),
        seed: fc.integer({ min: 0, max: 0x7fffffff }),
        growBlocks: fc.option(fc.integer({ min: volumeBlocks + 1, max: volumeBlocks + 40 }), { nil: undefined, freq: 2 }),
      }),
    );
}

interface PointModel {
  id: number;
  image: Buffer;
  takeResolved: boolean;
  /** A prune, a retention or a restore to an older point may remove it. */
  mayGo: boolean;
  /** Its removal completed before the crash. */
  gone: boolean;
}

export class PointCrashWorld {
  readonly scheduler = new SimScheduler();
  readonly rng: Rng;
  size: number;
  node = new SimNode('backup#0');
  image: PowerLossBlockStore;
  files: PowerLossFiles;
  store!: PointStore;
  readonly models = new Map<number, PointModel>();
  readonly failures: string[] = [];
  readonly trace: string[] = [];
  private nextId = 1;
  private nextWrite = 1;
  private clock = Date.UTC(2026, 10, 30);
  /** Writes and discards in flight; takes and restores in flight (writes are held for them). */
  private writing = 0;
  private holding = 0;
  outstanding = 0;

  constructor(readonly scenario: Scenario) {
    this.rng = seededRng(scenario.seed);
    this.size = scenario.volumeBlocks * BLOCK;
    const place = this.place();
    this.image = new PowerLossBlockStore({ size: this.size, path: 'backup', place });
    this.files = new PowerLossFiles(place);
  }

  private place(): SimPlace {
    return { scheduler: this.scheduler, node: this.node };
  }

  note(line: string): void {
    this.trace.push(line);
  }

  describe(): string {
    return this.trace.slice(-60).join('\n');
  }

  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  until<T>(p: Promise<T>, what: string, budget = 100_000): Promise<T> {
    return runUntil(this.scheduler, this.rng, p, what, budget);
  }

  async start(): Promise<void> {
    this.store = await this.until(this.openStore(), 'open');
  }

  private openStore(): Promise<PointStore> {
    return PointStore.open({ dir: META, image: this.image, files: this.files, granularity: this.scenario.granularity, logger: silentLogger });
  }

  /** Issues the steps, interleaved at random with I/O completions, until the crash point. */
  runWorkload(): Promise<void> {
    return runToCrash({
      scheduler: this.scheduler,
      rng: this.rng,
      scenario: this.scenario,
      outstanding: () => this.outstanding,
      canIssue: (step) => this.canIssue(step),
      issue: (step) => this.issue(step),
      describe: () => this.describe(),
    });
  }


  private canIssue(step: Step): boolean {
    switch (step.kind) {
      case 'write':
      case 'discard':
        return this.holding === 0;
      case 'take':
      case 'restore':
        // The caller holds writes: none in flight, none issued until it resolves.
        return this.writing === 0 && this.holding === 0;
      default:
        return true;
    }
  }

  private track<T>(p: Promise<T>, what: string, onDone: (v: T) => void, onError?: (e: Error) => boolean): void {
    this.outstanding++;
    p.then(
      (v) => {
        this.outstanding--;
        this.note(`done ${what}`);
        onDone(v);
      },
      (e: Error) => {
        this.outstanding--;
        this.note(`failed ${what}: ${e.message}`);
        if (!onError?.(e)) this.failures.push(`${what} failed: ${e.message}`);
      },
    );
  }

  private listed(): number[] {
    return this.store.list().map((p) => p.id);
  }

  private pick(pick: number): number | undefined {
    const ids = this.listed();
    return ids.length === 0 ? undefined : ids[Math.floor(pick * ids.length)];
  }

  issue(step: Step): void {
    const store = this.store;
    switch (step.kind) {
      case 'write':
      case 'discard': {
        const n = this.nextWrite++;
        const offset = step.block * BLOCK;
        const length = step.blocks * BLOCK;
        const what = `#${n} ${step.kind} ${step.block}+${step.blocks}`;
        this.note(`issue ${what}`);
        this.writing++;
        const data = step.kind === 'write' ? patterned(prng(n * 7919 + this.scenario.seed), length) : undefined;
        const run = async () => {
          await store.beforeOverwrite(offset, length);
          if (data) await this.image.write(data, offset);
          else await this.image.discard(offset, length);
        };
        const p = run();
        const release = () => this.writing--;
        this.track(p, what, release, () => {
          release();
          return false;
        });
        return;
      }
      case 'flush':
        this.note('issue flush');
        this.track(this.image.flush(), 'flush', () => undefined);
        return;
      case 'take': {
        const id = this.nextId++;
        this.clock += step.advanceMin * MINUTE;
        const model: PointModel = { id, image: this.image.image(), takeResolved: false, mayGo: false, gone: false };
        this.models.set(id, model);
        this.note(`issue take ${id}`);
        this.holding++;
        this.track(
          store.take({ id, at: this.clock, origin: 'pass' }),
          `take ${id}`,
          () => {
            this.holding--;
            model.takeResolved = true;
          },
          () => {
            this.holding--;
            return false;
          },
        );
        return;
      }
      case 'prune':
      case 'give-up': {
        const id = this.pick(step.pick);
        if (id === undefined) return;
        const model = this.models.get(id)!;
        model.mayGo = true;
        this.note(`issue ${step.kind} ${id}`);
        this.track(
          step.kind === 'prune' ? store.prune(id) : store.dropForSpace(id).then(() => undefined),
          `${step.kind} ${id}`,
          () => (model.gone = true),
          // Pruned meanwhile by a retention or a restore.
          (e) => e instanceof PointError,
        );
        return;
      }
      case 'retain': {
        for (const id of this.listed()) this.models.get(id)!.mayGo = true;
        this.note(`issue retain last=${step.last}`);
        this.track(store.applyRetention({ last: step.last, hourly: 0, daily: 0 }, this.clock), `retain last=${step.last}`, (ids) => {
          for (const id of ids) this.models.get(id)!.gone = true;
        });
        return;
      }
      case 'restore': {
        const id = this.pick(step.pick);
        if (id === undefined) return;
        const target = this.models.get(id)!;
        const later = this.listed().filter((x) => x > id);
        for (const x of later) this.models.get(x)!.mayGo = true;
        const before = this.image.image();
        this.note(`issue restore ${id}`);
        this.holding++;
        this.track(
          store.restore(id),
          `restore ${id}`,
          (changed) => {
            this.holding--;
            for (const x of later) this.models.get(x)!.gone = true;
            const now = this.image.image();
            if (!now.equals(target.image)) this.failures.push(`restore ${id}: the image is not the point's`);
            const differs = changedUnits(before, target.image, this.scenario.granularity);
            const reported = rangesToUnits(changed, this.scenario.granularity);
            if (differs.join() !== reported.join()) this.failures.push(`restore ${id}: reported units ${reported.join()} but ${differs.join()} differed`);
          },
          (e) => {
            this.holding--;
            // Pruned by a retention queued before it.
            return e instanceof PointError;
          },
        );
        return;
      }
      case 'read': {
        const id = this.pick(step.pick);
        if (id === undefined) return;
        const model = this.models.get(id)!;
        const offset = step.block * BLOCK;
        const buf = Buffer.alloc(step.blocks * BLOCK);
        this.note(`issue read ${id} ${step.block}+${step.blocks}`);
        this.track(
          store.read(id, buf, offset),
          `read ${id}`,
          () => {
            if (!buf.equals(model.image.subarray(offset, offset + buf.length))) this.failures.push(`read of point ${id} at ${step.block}+${step.blocks} differs from the point`);
          },
          (e) => e instanceof PointError,
        );
        return;
      }
    }
  }

  /** Issues `steps` one at a time, each run to completion (a prefix for the directed crash tests). */
  async prepare(steps: Step[]): Promise<void> {
    for (const step of steps) {
      this.issue(step);
      await this.drain(`prepare ${step.kind}`);
    }
  }

  /** Runs scheduler steps until nothing is outstanding. */
  async drain(what: string, budget = 100_000): Promise<void> {
    let idle = 0;
    for (let i = 0; this.outstanding > 0 || this.scheduler.size > 0; i++) {
      if (i > budget) throw new Error(`${what}: not done after ${budget} steps`);
      if (this.scheduler.size > 0) {
        this.scheduler.step(this.rng);
        idle = 0;
      } else if (++idle > 100) {
        throw new Error(`${what}: hangs\n${this.describe()}`);
      }
      await this.settle();
    }
  }

  /** Issues `steps` together, then runs exactly `k` I/O steps (fewer if they complete first); returns how many ran. */
  async runSteps(steps: Step[], k: number): Promise<number> {
    for (const step of steps) this.issue(step);
    let ran = 0;
    await this.settle();
    while (ran < k && (this.outstanding > 0 || this.scheduler.size > 0)) {
      if (this.scheduler.size > 0) {
        this.scheduler.step(this.rng);
        ran++;
      }
      await this.settle();
    }
    return ran;
  }

  /** Power loss: the image and the files keep what is durable (and with 'some', part of the rest). */
  crash(): void {
    this.note(`POWER LOSS (keep ${this.scenario.keep})`);
    this.scheduler.kill(this.node);
    this.node = new SimNode('backup#1');
    this.image = this.image.crash({ keep: this.scenario.keep, rng: this.rng, place: this.place() });
    this.files = this.files.crash({ keep: this.scenario.keep, rng: this.rng, place: this.place() });
    this.outstanding = 0;
    this.writing = 0;
    this.holding = 0;
  }

  /**
   * The LUN grown while it is down (after crash()), as `tandem serve --lun PATH,size=BIGGER`
   * or a grown block device does: the image as it came back, longer, the new part holding
   * stale bytes no point taken before may read.
   */
  grow(blocks: number): void {
    const bigger = new PowerLossBlockStore({ size: blocks * BLOCK, path: this.image.path });
    // Without a place these complete at once.
    void bigger.write(this.image.image(), 0);
    void bigger.write(patterned(prng(blocks), blocks * BLOCK - this.size), this.size);
    void bigger.flush();
    this.image = bigger.crash({ keep: 'none', place: this.place() });
    this.note(`GROWN from ${this.size / BLOCK} to ${blocks} blocks`);
    this.size = blocks * BLOCK;
    for (const m of this.models.values()) m.image = Buffer.concat([m.image, Buffer.alloc(this.size - m.image.length)]);
  }

  /** Opens the store, running at most `k` I/O steps; returns how many ran (fewer: it opened). */
  async openPartly(k: number): Promise<number> {
    let opened = false;
    this.openStore().then(
      (store) => {
        this.store = store;
        opened = true;
      },
      (e: Error) => {
        this.failures.push(`open failed: ${e.message}`);
        opened = true;
      },
    );
    let ran = 0;
    await this.settle();
    while (ran < k && !opened) {
      if (!this.scheduler.step(this.rng)) throw new Error('open hangs');
      ran++;
      await this.settle();
    }
    return ran;
  }

  /** Reopens on what survived and checks every listed point, and which must (not) be listed. */
  async recoverAndCheck(): Promise<string[]> {
    const problems: string[] = [];
    let store: PointStore;
    try {
      store = await this.until(this.openStore(), 'reopen after the crash');
    } catch (e) {
      return [`reopen failed: ${(e as Error).message}`];
    }
    this.store = store;
    const listed = store.list().map((p) => p.id);
    for (const id of listed) {
      const model = this.models.get(id);
      if (!model) {
        problems.push(`point ${id} is listed but was never taken`);
        continue;
      }
      if (model.gone) problems.push(`point ${id} is listed though its removal completed`);
      const got = await this.until(this.readPoint(id), `read point ${id}`);
      if (!got.equals(model.image)) problems.push(`point ${id} reads ${describeDiff(got, model.image)} after the crash`);
    }
    for (const m of this.models.values()) {
      if (m.takeResolved && !m.mayGo && !listed.includes(m.id)) problems.push(`point ${m.id} was taken (resolved) and never removed, but is not listed`);
    }
    if (store.recovered) {
      const target = this.models.get(store.recovered.restoredTo);
      if (!target || !this.image.image().equals(target.image)) problems.push(`open finished a restore to ${store.recovered.restoredTo} but the image is not that point's`);
    }
    return problems;
  }

  private async readPoint(id: number): Promise<Buffer> {
    const b = Buffer.alloc(this.size);
    await this.store.read(id, b, 0);
    return b;
  }

  /** After recovery the store goes on working: more writes, a take, a prune; every point still reads as taken. */
  async continueAndCheck(): Promise<string[]> {
    const problems: string[] = [];
    const rng = prng(this.scenario.seed ^ 0x5bd1e995);
    const write = async () => {
      const blocks = 1 + Math.floor(rng() * 8);
      const block = Math.floor(rng() * (this.size / BLOCK - blocks));
      const n = this.nextWrite++;
      await this.store.beforeOverwrite(block * BLOCK, blocks * BLOCK);
      if (rng() < 0.2) await this.image.discard(block * BLOCK, blocks * BLOCK);
      else await this.image.write(patterned(prng(n * 7919 + this.scenario.seed), blocks * BLOCK), block * BLOCK);
    };
    const run = async () => {
      await Promise.all(Array.from({ length: 6 }, write));
      const id = this.nextId++;
      this.models.set(id, { id, image: this.image.image(), takeResolved: true, mayGo: false, gone: false });
      await this.store.take({ id, at: this.clock, origin: 'manual' });
      await Promise.all(Array.from({ length: 6 }, write));
      const ids = this.store.list().map((p) => p.id);
      if (ids.length > 2) await this.store.prune(ids[Math.floor(rng() * (ids.length - 1))]!);
      await Promise.all(Array.from({ length: 4 }, write));
      for (const p of this.store.list()) {
        const got = await this.readPoint(p.id);
        if (!got.equals(this.models.get(p.id)!.image)) problems.push(`after recovery and more work, point ${p.id} reads ${describeDiff(got, this.models.get(p.id)!.image)}`);
      }
    };
    try {
      await this.until(run(), 'work after recovery');
    } catch (e) {
      problems.push(`work after recovery failed: ${(e as Error).message}`);
    }
    return problems;
  }
}

function changedUnits(a: Buffer, b: Buffer, g: number): number[] {
  const out: number[] = [];
  for (let u = 0; u * g < a.length; u++) if (!a.subarray(u * g, (u + 1) * g).equals(b.subarray(u * g, (u + 1) * g))) out.push(u);
  return out;
}

function rangesToUnits(ranges: Array<{ offset: number; length: number }>, g: number): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let u = r.offset / g; u * g < r.offset + r.length; u++) out.push(u);
  return out;
}

function describeDiff(got: Buffer, want: Buffer): string {
  const blocks: number[] = [];
  for (let b = 0; b * BLOCK < want.length; b++) if (!got.subarray(b * BLOCK, (b + 1) * BLOCK).equals(want.subarray(b * BLOCK, (b + 1) * BLOCK))) blocks.push(b);
  return `wrong blocks ${blocks.slice(0, 12).join(',')}${blocks.length > 12 ? '…' : ''}`;
}
