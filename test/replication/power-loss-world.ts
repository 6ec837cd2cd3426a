/**
 * A whole replicated pair in simulation, for the power-loss properties: a primary
 * (ReplicatedDevice over a PowerLossBlockStore, metadata in a PowerLossFiles), a SimBackup
 * and the SimLink between them, all driven by one SimScheduler with a seeded PRNG and a
 * fake clock (tickMs 0). A workload of host writes (each block tagged with its write's id,
 * so an image tells which write each block holds), flushes, discards, ticks, link cuts and
 * stalls (timeouts whose operations land late) and admin actions is issued without waiting,
 * interleaved at random with I/O completions; then the power fails at a chosen step. The
 * history (issue and acknowledgement times on one logical clock) is what the properties
 * judge the surviving images by.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { DELTA_FILE } from '../../src/replication/delta-table.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import type { ContinuousFlavour } from '../../src/replication/status.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { PowerLossBlockStore, type CrashKeep } from '../support/power-loss-store.js';
import { SimNode, SimScheduler, runToCrash, runUntil, seededRng, type Rng } from '../support/sim-scheduler.js';
import { SimBackup, SimLink, silentLogger } from './sim-backup.js';

export const BLOCK = 512;
export const VOLUME = 64 * 1024;
export const BLOCKS = VOLUME / BLOCK;
export const CHUNK = 4096;
export const PRIMARY_META = '/primary/lun.tandem';
const MAGIC = 0x54504c57; // "TPLW"
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export type PairMode = 'sync' | 'async' | 'delta';

export type Step =
  | { kind: 'write'; block: number; blocks: number; fua: boolean }
  | { kind: 'discard'; block: number; blocks: number }
  | { kind: 'flush' }
  | { kind: 'tick'; advanceMs: number }
  | { kind: 'cut' }
  /** The primary's link times out; what the backup was sent lands later (after `hangSteps` more steps once the link is used again). */
  | { kind: 'stall'; hangSteps: number }
  | { kind: 'heal' }
  | { kind: 'replicate' }
  | { kind: 'to-delta' }
  | { kind: 'flavour' }
  | { kind: 'drain' };

/** A host write or discard as the host saw it. */
export interface Change {
  id: number;
  block: number;
  blocks: number;
  fua: boolean;
  discard: boolean;
  issuedAt: number;
  ackedAt?: number;
  /** Acknowledged by synchronous mirroring with the link healthy: on the backup (durable there when the host's contract makes it so). */
  viaSync?: boolean;
}

export interface FlushRecord {
  issuedAt: number;
  completedAt?: number;
  /** Completed by synchronous mirroring with the link healthy: durable on the backup too. */
  viaSync?: boolean;
}

export interface Scenario {
  mode: PairMode;
  steps: Step[];
  /** The power fails once this fraction of the steps is issued… */
  crashAfter: number;
  /** …and this many more I/O completions have run (fewer if all is done). */
  crashExtra: number;
  seed: number;
  keepPrimary: CrashKeep;
  /** The backup loses power too (its image and staging log), with this model; undefined: it stays up. */
  backupCrash: CrashKeep | undefined;
  journalCapacity: number;
  /** The primary's activity log, when a directed test needs extents to cool (default: the engine's, all hot). */
  activity?: { extentSize: number; extents: number };
}

/** Half the changes hit the first two chunks, so they race with each other and with passes. */
const blockArb = fc.oneof(fc.integer({ min: 0, max: (2 * CHUNK) / BLOCK - 1 }), fc.integer({ min: 0, max: BLOCKS - 1 }));
const writeArb = fc
  .record({ block: blockArb, blocks: fc.integer({ min: 1, max: 8 }), fua: fc.boolean() })
  .map(({ block, blocks, fua }) => ({ kind: 'write' as const, block: Math.min(block, BLOCKS - blocks), blocks, fua }));
const discardArb = fc
  .record({ block: blockArb, blocks: fc.integer({ min: 1, max: 16 }) })
  .map(({ block, blocks }) => ({ kind: 'discard' as const, block: Math.min(block, BLOCKS - blocks), blocks }));

export function stepArb(mode: PairMode): fc.Arbitrary<Step> {
  const common = [
    { weight: 12, arbitrary: writeArb as fc.Arbitrary<Step> },
    { weight: 2, arbitrary: discardArb as fc.Arbitrary<Step> },
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'flush' }) },
    { weight: 3, arbitrary: fc.constantFrom(0, 1500, 61_000).map((advanceMs): Step => ({ kind: 'tick', advanceMs })) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'cut' }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((hangSteps): Step => ({ kind: 'stall', hangSteps })) },
    { weight: 2, arbitrary: fc.constant<Step>({ kind: 'heal' }) },
    { weight: mode === 'delta' ? 3 : 1, arbitrary: fc.constant<Step>({ kind: 'replicate' }) },
    { weight: 2, arbitrary: fc.constant<Step>({ kind: 'drain' }) },
  ];
  if (mode === 'delta') return fc.oneof(...common);
  return fc.oneof(...common, { weight: 1, arbitrary: fc.constant<Step>({ kind: 'to-delta' }) }, { weight: 1, arbitrary: fc.constant<Step>({ kind: 'flavour' }) });
}

export function scenarioArb(mode: PairMode): fc.Arbitrary<Scenario> {
  return fc.record({
    mode: fc.constant(mode),
    steps: fc.array(stepArb(mode), { minLength: 1, maxLength: 40, size: 'max' }),
    crashAfter: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
    crashExtra: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 80 }) }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    keepPrimary: fc.constantFrom<CrashKeep>('none', 'some'),
    backupCrash: fc.constantFrom<CrashKeep | undefined>(undefined, 'none', 'some'),
    journalCapacity: fc.constantFrom(8192, 1 << 20),
  });
}

/** Block `j` of write `id`: a header naming both, then bytes derived from them. */
export function taggedBlock(nonce: number, id: number, j: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt32BE(nonce, 4);
  b.writeUInt32BE(id, 8);
  b.writeUInt32BE(j, 12);
  for (let k = 16; k < BLOCK; k++) b[k] = (id * 7 + j * 13 + k) & 0xff;
  return b;
}

export type Shown = { kind: 'zero' } | { kind: 'op'; change: Change } | { kind: 'garbage' };

export class PowerLossWorld {
  readonly scheduler = new SimScheduler();
  readonly rng: Rng;
  readonly clock = { now: 1_000_000 };
  readonly nonce: number;
  /** Logical time of host-visible events. */
  private t = 0;
  readonly changes: Change[] = [];
  readonly flushes: FlushRecord[] = [];
  /** Host operations (and admin actions) issued and not settled. */
  outstanding = 0;
  readonly failures: string[] = [];
  readonly trace: string[] = [];
  primaryNode = new SimNode('primary#0');
  primary: PowerLossBlockStore;
  files: PowerLossFiles;
  backup!: SimBackup;
  link!: SimLink;
  device!: ReplicatedDevice;
  private generation = 0;

  constructor(readonly scenario: Scenario) {
    this.rng = seededRng(scenario.seed);
    this.nonce = (scenario.seed * 2654435761) >>> 0;
    const place = { scheduler: this.scheduler, node: this.primaryNode };
    this.primary = new PowerLossBlockStore({ size: VOLUME, path: 'primary', place });
    this.files = new PowerLossFiles(place);
  }

  get flavour(): ContinuousFlavour {
    return this.scenario.mode === 'sync' ? 'sync' : 'async';
  }

  note(line: string): void {
    this.trace.push(`${this.t} ${line}`);
  }

  // ---- driving -----------------------------------------------------------------

  /** Lets promise chains (and RangeLocks' setImmediate wake-ups) run. */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  /** Runs scheduler steps until `p` settles; throws if it cannot (a hang is a bug too). */
  until<T>(p: Promise<T>, what: string, budget = 50_000): Promise<T> {
    return runUntil(this.scheduler, this.rng, p, what, budget);
  }

  /** Runs until nothing is pending and every issued operation has settled. */
  async idle(what: string, budget = 50_000): Promise<void> {
    let quiet = 0;
    for (let i = 0; quiet < 20; i++) {
      if (i > budget) throw new Error(`${what}: not idle after ${budget} steps`);
      if (this.scheduler.size > 0) {
        this.scheduler.step(this.rng);
        quiet = 0;
      } else {
        quiet++;
      }
      await this.settle();
    }
    if (this.outstanding > 0) throw new Error(`${what}: ${this.outstanding} operations hang (no I/O pending)`);
  }

  /** Runs every step but those whose `node:label` contains `held`, until none is left (directed tests). */
  async runHolding(held: string, budget = 50_000): Promise<void> {
    let quiet = 0;
    for (let i = 0; quiet < 20; i++) {
      if (i > budget) throw new Error(`still busy after ${budget} steps (holding ${held})`);
      quiet = this.scheduler.stepFirst((d) => !d.includes(held)) ? 0 : quiet + 1;
      await this.settle();
    }
  }

  // ---- the pair ------------------------------------------------------------------

  private openDevice(link: SimLink): Promise<ReplicatedDevice> {
    return ReplicatedDevice.open({
      local: this.primary,
      link,
      metaDir: PRIMARY_META,
      files: this.files,
      mode: this.scenario.mode === 'delta' ? 'delta' : 'auto',
      flavour: this.flavour,
      chunkSize: CHUNK,
      journalCapacity: this.scenario.journalCapacity,
      ...(this.scenario.activity ? { activityExtentSize: this.scenario.activity.extentSize, activityExtents: this.scenario.activity.extents } : {}),
      thresholds: { healthyForMs: 1000 },
      tickMs: 0,
      clock: () => this.clock.now,
      logger: silentLogger,
    });
  }

  private newLink(): SimLink {
    const link = new SimLink(this.backup, this.scheduler, new SimNode(`link#${this.generation}`));
    link.note = (line) => this.note(line);
    return link;
  }

  /** Both sides blank and in step: a first full sync, then continuous (or delta) mirroring. */
  async start(): Promise<void> {
    await this.files.mkdir(PRIMARY_META);
    const backupNode = new SimNode('backup#0');
    const backupPlace = { scheduler: this.scheduler, node: backupNode };
    this.backup = await this.until(
      SimBackup.start(this.scheduler, backupNode, new PowerLossBlockStore({ size: VOLUME, path: 'backup', place: backupPlace }), new PowerLossFiles(backupPlace)),
      'backup start',
    );
    this.link = this.newLink();
    this.device = await this.until(this.openDevice(this.link), 'open');
    await this.converge('first sync');
    if (!this.device.status().identity.replicaSynced) throw new Error('first sync did not complete');
  }

  /** Healthy link, ticks (and passes in delta mode) until the pair is in step. */
  async converge(what: string): Promise<void> {
    this.link.cut = false;
    for (let round = 0; round < 12; round++) {
      await this.idle(`${what}: round ${round}`);
      const s = this.device.status();
      const inStep = s.dirtyChunks === 0 && s.journal.entries === 0 && (this.scenario.mode === 'delta' || s.state === 'continuous');
      if (inStep) return;
      this.clock.now += this.scenario.mode === 'delta' ? 61_000 : 2000;
      await this.until(this.device.tick(), `${what}: tick`);
    }
    const s = this.device.status();
    throw new Error(`${what}: the pair did not converge (state ${s.state}, dirty ${s.dirtyChunks}, journal ${s.journal.entries})`);
  }

  /**
   * Issues the workload, interleaved at random with I/O completions, until `crashAfter`
   * steps are issued and `crashExtra` more completions have run (or nothing is left to do).
   */
  runWorkload(): Promise<void> {
    return runToCrash({
      scheduler: this.scheduler,
      rng: this.rng,
      scenario: this.scenario,
      outstanding: () => this.outstanding,
      canIssue: (step) => step.kind !== 'drain' || this.outstanding === 0,
      issue: (step) => this.issue(step),
      stepped: () => this.watchBackup(),
    });
  }


  private backupVersion = -1;

  /**
   * The backup is a crash-consistent prefix at every step, not only after a crash (its
   * volatile image; except while a staged pass is being copied onto it, which is atomic
   * against a crash, not against a reader).
   */
  private watchBackup(): void {
    const image = this.backup.image;
    if (image.version === this.backupVersion || this.backup.committing > 0) return;
    this.backupVersion = image.version;
    const found = this.prefixViolations(image.image(), 'backup during the workload');
    if (found.length > 0 && this.failures.length < 8) this.failures.push(...found.slice(0, 8 - this.failures.length));
  }

  private track(p: Promise<unknown>, what: string, onDone?: () => void, mayFail = false): void {
    this.outstanding++;
    p.then(
      () => onDone?.(),
      (e: unknown) => {
        if (!mayFail) this.failures.push(`${what} failed: ${(e as Error).message}`);
      },
    ).finally(() => this.outstanding--);
  }

  issue(step: Step): void {
    const d = this.device;
    switch (step.kind) {
      case 'write':
      case 'discard': {
        const s = d.status();
        const syncPath = s.state === 'continuous' && s.flavour === 'sync';
        const before = s.lastSwitch;
        const c: Change = { id: this.changes.length + 1, block: step.block, blocks: step.blocks, fua: step.kind === 'write' && step.fua, discard: step.kind === 'discard', issuedAt: ++this.t };
        this.changes.push(c);
        this.note(`issue #${c.id} ${step.kind} ${c.block}+${c.blocks}${c.fua ? ' fua' : ''} (${s.state}/${s.flavour})`);
        const done = () => {
          c.ackedAt = ++this.t;
          // No switch began meanwhile (a failed remote write starts one before the ack).
          c.viaSync = syncPath && d.status().lastSwitch === before;
          this.note(`ack #${c.id}${c.viaSync ? ' (sync)' : ''}`);
        };
        if (step.kind === 'write') {
          const data = Buffer.concat(Array.from({ length: c.blocks }, (_, j) => taggedBlock(this.nonce, c.id, j)));
          this.track(d.write(data, c.block * BLOCK, c.fua), `write #${c.id}`, done);
        } else {
          this.track(d.discard(c.block * BLOCK, c.blocks * BLOCK), `discard #${c.id}`, done);
        }
        return;
      }
      case 'flush': {
        const s = d.status();
        const syncPath = s.state === 'continuous' && s.flavour === 'sync';
        const before = s.lastSwitch;
        const f: FlushRecord = { issuedAt: ++this.t };
        this.flushes.push(f);
        this.note('issue flush');
        this.track(d.flush(), 'flush', () => {
          f.completedAt = ++this.t;
          f.viaSync = syncPath && d.status().lastSwitch === before;
          this.note(`flush done (issued ${f.issuedAt})${f.viaSync ? ' (sync)' : ''}`);
        });
        return;
      }
      case 'tick':
        this.clock.now += step.advanceMs;
        this.note(`tick +${step.advanceMs}`);
        this.track(d.tick(), 'tick');
        return;
      case 'cut':
        this.note('cut');
        this.link.cut = true;
        return;
      case 'stall':
        this.note(`stall (the primary times out; the backup still carries out what it was sent, ${step.hangSteps} steps late)`);
        this.link.stall(step.hangSteps);
        return;
      case 'heal':
        this.note('heal');
        this.link.cut = false;
        return;
      case 'replicate':
        this.note('replicate');
        this.track(d.replicateNow(), 'replicate', undefined, true);
        return;
      case 'to-delta':
        this.note('to-delta');
        this.track(d.switchToDelta('admin', 'test'), 'to-delta');
        return;
      case 'flavour': {
        const to: ContinuousFlavour = d.status().flavour === 'sync' ? 'async' : 'sync';
        this.note(`flavour ${to}`);
        this.track(d.setMode('auto', to), 'flavour');
        return;
      }
      case 'drain':
        this.note('drain');
        return;
    }
  }

  /**
   * Power fails on the primary (image and metadata; its link dies with it), and on the
   * backup too if the scenario says so; otherwise the backup finishes what it received.
   * The backup then restarts (staging-log recovery) if it crashed.
   */
  async crash(): Promise<void> {
    this.t++;
    this.note('POWER LOSS');
    this.link.die();
    this.scheduler.kill(this.primaryNode);
    this.generation++;
    this.primaryNode = new SimNode(`primary#${this.generation}`);
    const place = { scheduler: this.scheduler, node: this.primaryNode };
    this.primary = this.primary.crash({ keep: this.scenario.keepPrimary, rng: this.rng, place });
    this.files = this.files.crash({ keep: this.scenario.keepPrimary, rng: this.rng, place });
    this.outstanding = 0;
    if (this.scenario.backupCrash) {
      const restart = this.backup.crash(this.scenario.backupCrash, this.rng);
      await this.until(restart(), 'backup restart');
    } else {
      await this.idle('backup after the primary crash');
    }
  }

  /** The primary restarts on what survived (journal replay, identity check) with a healthy link. */
  async recover(): Promise<void> {
    this.link = this.newLink();
    this.device = await this.until(this.openDevice(this.link), 'reopen after the crash');
  }

  // ---- judging images ----------------------------------------------------------------

  private readonly tagged = new Map<number, Buffer>();

  shown(image: Buffer, b: number): Shown {
    const v = image.subarray(b * BLOCK, (b + 1) * BLOCK);
    if (v.equals(ZERO_BLOCK)) return { kind: 'zero' };
    if (v.readUInt32BE(0) !== MAGIC || v.readUInt32BE(4) !== this.nonce) return { kind: 'garbage' };
    const change = this.changes[v.readUInt32BE(8) - 1];
    const j = v.readUInt32BE(12);
    if (!change || change.discard || j !== b - change.block || j >= change.blocks) return { kind: 'garbage' };
    const key = change.id * BLOCKS + j;
    let expected = this.tagged.get(key);
    if (!expected) this.tagged.set(key, (expected = taggedBlock(this.nonce, change.id, j)));
    return v.equals(expected) ? { kind: 'op', change } : { kind: 'garbage' };
  }

  /** Whether `a` was acknowledged before `b` was issued (so every order puts `a` first). */
  static precedes(a: Change, b: Change): boolean {
    return a.ackedAt !== undefined && a.ackedAt < b.issuedAt;
  }

  /** Changes the host may count on after a power loss: acknowledged with FUA, or acknowledged before a flush that completed. */
  guaranteed(): Change[] {
    return this.guaranteedBy(Infinity);
  }

  /**
   * Every change of `required` is reflected in `image`: each of its blocks holds it, or a
   * change that may come after it (one not acknowledged before it was issued), or zeroes
   * from such a discard. Returns the violations.
   */
  reflects(image: Buffer, required: readonly Change[], label: string): string[] {
    const out: string[] = [];
    const discards = this.changes.filter((c) => c.discard);
    for (let b = 0; b < BLOCKS; b++) {
      const shown = this.shown(image, b);
      if (shown.kind === 'garbage') {
        out.push(`${label}: block ${b} holds data no write wrote (torn or misplaced)`);
        continue;
      }
      for (const g of required) {
        if (b < g.block || b >= g.block + g.blocks) continue;
        if (shown.kind === 'op') {
          if (PowerLossWorld.precedes(shown.change, g)) out.push(`${label}: block ${b} holds #${shown.change.id}, overwritten by #${g.id} which must have survived`);
        } else if (!g.discard && !discards.some((d) => b >= d.block && b < d.block + d.blocks && !PowerLossWorld.precedes(d, g))) {
          out.push(`${label}: block ${b} is zero, #${g.id} must have survived`);
        }
      }
    }
    return out;
  }

  /**
   * `image` is a crash-consistent prefix of the history. `acknowledged` (a volatile image):
   * every change acknowledged before the latest-issued change it shows was issued is
   * reflected in it. `durable` (an image after its own power loss): a state the primary's
   * own disk could be in after a power loss at that moment — every change the host could
   * count on by then (acknowledged with FUA, or before a flush that had completed) is
   * reflected; of the rest, any subset may be, as with any write-back cache.
   */
  prefixViolations(image: Buffer, label: string, model: 'acknowledged' | 'durable' = 'acknowledged'): string[] {
    let latest = -1;
    for (let b = 0; b < BLOCKS; b++) {
      const s = this.shown(image, b);
      if (s.kind === 'op') latest = Math.max(latest, s.change.issuedAt);
    }
    const implied = model === 'acknowledged' ? this.changes.filter((c) => c.ackedAt !== undefined && c.ackedAt < latest) : this.guaranteedBy(latest);
    return this.reflects(image, implied, `${label} (${model} prefix through t=${latest})`);
  }

  /**
   * Acknowledged by synchronous mirroring, and durable on the backup as the host's contract
   * has it: with FUA, or before a flush that synchronous mirroring completed.
   */
  durableViaSync(): Change[] {
    return this.guaranteedBy(Infinity, true).filter((c) => c.viaSync);
  }

  /** Changes the host could count on at time `t`: acknowledged with FUA before it, or before a flush completed before it. */
  private guaranteedBy(t: number, syncFlushesOnly = false): Change[] {
    const flushedAt = this.flushes.filter((f) => f.completedAt !== undefined && f.completedAt < t && (!syncFlushesOnly || f.viaSync)).map((f) => f.issuedAt);
    return this.changes.filter((c) => c.ackedAt !== undefined && c.ackedAt < t && (c.fua || flushedAt.some((at) => at > c.ackedAt!)));
  }

  /** Chunks whose content differs between the primary and the backup, and are not marked in the primary's delta table file. */
  unmarkedDifferences(): string[] {
    const bitmap = this.files.peek(join(PRIMARY_META, DELTA_FILE));
    if (!bitmap) return ['no delta table after recovery'];
    const bits = bitmap.subarray(64);
    const a = this.primary.image();
    const b = this.backup.image.image();
    const out: string[] = [];
    for (let c = 0; c < VOLUME / CHUNK; c++) {
      const differs = !a.subarray(c * CHUNK, (c + 1) * CHUNK).equals(b.subarray(c * CHUNK, (c + 1) * CHUNK));
      const marked = ((bits[c >> 3] ?? 0) & (1 << (c & 7))) !== 0;
      if (differs && !marked) out.push(`chunk ${c} differs between primary and backup but the delta table does not mark it`);
    }
    return out;
  }

  describe(): string {
    return this.trace.slice(-150).join('\n');
  }
}
