/**
 * Chaos soak (`npm run soak`; not in CI: it is a bug hunt over random timings, hours if you
 * like). A pair of real `tandem serve` processes under a QD4 host writer that follows the
 * primary role; each cycle one random fault or role change, then the pair must converge
 * (primary continuous and bound, nothing pending, still so two ticks later), both images
 * identical and the newest acknowledged write of every slot in both.
 *
 * Faults: SIGKILL the primary and `promote --force` the backup, then `demote` the old one
 * (`crash-failover`; `resync-crash` also kills it during its resync); `switchover` under
 * load; SIGKILL and restart the backup; a partition of 0.3–7 s; SIGKILL both nodes; a clean
 * restart (SIGTERM) of the primary; under load, admin actions: the mirroring flavour flipped
 * and back, pause and resume, a recovery point created and the backup rolled back to a random
 * one of its points (the pair resynchronises what that changed), a point exposed and
 * unexposed, delta mode and back (with or without a pass between), `tandem verify` of the
 * live pair (no difference), a split brain resolved by discarding a random side, two
 * switchovers issued together (one runs, one is refused), a SIGTERM of the primary during a
 * switchover and its restart, a switchover on the primary racing `promote` on the backup
 * (either may come first; the backup ends the only primary), a partition or a SIGKILL of
 * either node at a random moment of a switchover (never two primaries; the admin reruns a
 * switchover that moved nothing, the old primary hands over one it left unconfirmed by itself,
 * and nothing it acknowledged is lost: a LUN leaves its primary only once drained). In sync mirroring every write acknowledged while the pair
 * was continuous must be on the promoted node (a SIGKILL keeps the page cache); in async,
 * what a primary acknowledged before the backup was promoted over it may be lost, so its slots
 * are unknown until rewritten, as is a write in flight at a kill in either mode; a primary
 * killed or stopped that comes back as the primary keeps every write it acknowledged.
 *
 * CHAOS_CYCLES (default 20), CHAOS_ASYNC=1, CHAOS_ACTIONS (a comma list of the names above),
 * CHAOS_LUNS (default 1: LUNs per node, from a config file; the writers spread over them and
 * every check covers each LUN, so roles must move for all of them together).
 * A failure keeps the nodes' logs and images in /tmp/chaos-fail-<time>.
 */
import { closeSync, cpSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import type { ReplicationStatus } from '../../src/replication/status.js';
import { controlRequest } from '../../src/replication/control/client.js';
import { BACKUP_IQN, PRIMARY_IQN, report, runCli, sleep, summary, type Cluster, type ServeChild } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { HostWriter, missingWrites, sha256, type AckedWrite, type WriteSpec } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const SLOT = 16 * 1024;
const DEPTH = 4;
const CYCLES = Number(process.env.CHAOS_CYCLES ?? 20);
const SYNC = !process.env.CHAOS_ASYNC;
const LUNS = Number(process.env.CHAOS_LUNS ?? 1);
const ALL_ACTIONS = ['crash-failover', 'resync-crash', 'switchover', 'backup-crash', 'partition', 'both-crash', 'primary-restart', 'flavour-flip', 'pause-resume', 'point-restore', 'point-expose', 'slow-link', 'delta-mode', 'verify', 'split-brain', 'double-switchover', 'switchover-sigterm', 'switchover-vs-promote', 'switchover-partition', 'switchover-backup-kill', 'switchover-primary-kill'] as const;
type Action = (typeof ALL_ACTIONS)[number];
const INTERRUPTED_SWITCHOVERS: readonly Action[] = ['switchover-partition', 'switchover-backup-kill', 'switchover-primary-kill'];
const ACTIONS = (process.env.CHAOS_ACTIONS?.split(',') ?? [...ALL_ACTIONS]) as Action[];

const startPair = pairPerTest();

interface Node {
  name: string;
  iqn: string;
  /** Per LUN. */
  images: string[];
  server(): ServeChild;
  restart(): Promise<ServeChild>;
}

/**
 * The other images a crash check can compare with (read right after the kill, before the
 * promotion): the killed primary's (final: its page cache) and the survivor's own. They tell a
 * write the primary acknowledged without holding it (missing there too) from one the promotion
 * or the backup lost (on the killed primary, or on the survivor before its promotion).
 */
interface CrashImages {
  killed?: readonly Buffer[];
  unpromoted?: readonly Buffer[];
}

/** What the soak knew when it failed, written beside the kept images (soak-detail.json). */
let failureDetail: Record<string, unknown> | undefined;

/**
 * What a failure needs to be understood: each missing write (its worker, when it was
 * acknowledged, by whom), what its slot holds instead (zeroes, an earlier write's data, or
 * unknown), and where on any LUN its own data is, if anywhere.
 */
function describeMissing(missing: readonly AckedWrite[], acked: readonly AckedWrite[], images: readonly Buffer[], crash: CrashImages = {}): string {
  const slotsBySha = new Map<string, string>();
  images.forEach((image, lun) => {
    for (let at = 0; at < image.length; at += SLOT) slotsBySha.set(sha256(image.subarray(at, at + SLOT)), `LUN ${lun} @${at}`);
  });
  const lastAckedAt = Math.max(...acked.map((a) => a.ackedAt));
  return JSON.stringify({
    acked: acked.length,
    lastAckedAt,
    missing: missing.slice(0, 8).map((m) => {
      const holds = sha256(images[m.lun ?? 0]!.subarray(m.offset, m.offset + SLOT));
      const earlier = acked.find((a) => a.sha256 === holds);
      return {
        lun: m.lun ?? 0,
        offset: m.offset,
        worker: m.worker,
        ackedAt: m.ackedAt,
        node: m.node,
        atAck: m.atAck,
        holds: holds === ZERO_SLOT_SHA ? 'zeroes' : earlier ? `write acked at ${earlier.ackedAt}` : 'unknown data',
        itsDataAt: slotsBySha.get(m.sha256) ?? 'nowhere',
        ...(crash.killed ? { onKilledPrimary: sha256(crash.killed[m.lun ?? 0]!.subarray(m.offset, m.offset + SLOT)) === m.sha256 } : {}),
        ...(crash.unpromoted ? { beforePromotion: sha256(crash.unpromoted[m.lun ?? 0]!.subarray(m.offset, m.offset + SLOT)) === m.sha256 } : {}),
      };
    }),
  });
}

const ZERO_SLOT_SHA = sha256(Buffer.alloc(SLOT));

/** `length` bytes of `path` at `offset` (through the page cache: what a SIGKILL would leave). */
function readExtent(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(length);
    return out.subarray(0, readSync(fd, out, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

function rand(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo));
}

/** A slot's key: LUN and offset. */
const slotKey = (lun: number, offset: number): number => lun * SIZE + offset;

/** What every acknowledged write should have left: the newest data of each slot, where it is known. */
class Expectation {
  /** By slotKey. */
  readonly slots = new Map<number, string>();
  private readonly counters = new Array<number>(DEPTH).fill(0);

  /** Each writer on its own slots (slot ≡ worker mod DEPTH, on every LUN in turn), so the newest acknowledgement of a slot is exact. */
  readonly next = (_n: number, w: number): WriteSpec => {
    const k = this.counters[w]!++;
    const i = Math.floor(k / LUNS);
    const spec = { offset: (((i * 7919) % (SIZE / SLOT / DEPTH)) * DEPTH + w) * SLOT, length: SLOT, lun: k % LUNS };
    return spec;
  };

  /**
   * A writer's acknowledgements (in acknowledgement order) and its writes in flight when it
   * stopped (after a kill: they may or may not be there); `failedOver`: another node took over
   * from it, so in async mirroring what it acknowledged may be lost (a node that comes back as
   * the primary keeps all it acknowledged: a SIGKILL or a clean stop keeps the page cache).
   */
  merge(writer: Pick<HostWriter, 'acked' | 'unacknowledged'>, failedOver: boolean): void {
    for (const a of writer.acked) {
      const key = slotKey(a.lun ?? 0, a.offset);
      if (failedOver && !SYNC) this.slots.delete(key);
      else this.slots.set(key, a.sha256);
    }
    for (const w of writer.unacknowledged) this.slots.delete(slotKey(w.lun ?? 0, w.offset));
  }

  /** The slots (LUN and offset) whose newest acknowledged data `images` (one per LUN) do not hold. */
  missingIn(images: Buffer[]): Array<{ lun: number; offset: number }> {
    return [...this.slots]
      .map(([key, sha]) => ({ lun: Math.floor(key / SIZE), offset: key % SIZE, sha }))
      .filter(({ lun, offset, sha }) => sha256(images[lun]!.subarray(offset, offset + SLOT)) !== sha)
      .map(({ lun, offset }) => ({ lun, offset }));
  }
}

test('chaos soak', { timeout: 24 * 3600_000 }, async () => {
  const cluster: Cluster = await startPair(SIZE, { sync: SYNC, luns: LUNS });
  const imagesOf = (node: 'primary' | 'backup') => Array.from({ length: LUNS }, (_, lun) => cluster.lunImage(node, lun));
  const a: Node = { name: 'A', iqn: PRIMARY_IQN, images: imagesOf('primary'), server: () => cluster.primary!, restart: () => cluster.restartPrimary() };
  const b: Node = { name: 'B', iqn: BACKUP_IQN, images: imagesOf('backup'), server: () => cluster.backup, restart: () => cluster.restartBackup() };
  /** Every LUN's replication status on `node`. */
  const statuses = async (node: Node): Promise<ReplicationStatus[]> => (await cluster.serverStatus(node.server())).luns.map((l) => l.replication!);
  /** Until every LUN of `node` satisfies `ok`. */
  const waitAll = (node: Node, what: string, ok: (s: ReplicationStatus) => boolean, timeoutMs: number) => cluster.waitOnEveryLun(node.server(), LUNS, what, ok, timeoutMs);
  const readImages = (node: Node) => node.images.map((image) => readFileSync(image));
  const readBack = (iqn: string, offset: number, length: number): Buffer[] => (iqn === a.iqn ? a : b).images.map((image) => readExtent(image, offset, length));
  for (const n of [a, b]) {
    // Run-time settings: a restarted node is back on the defaults, which only slows convergence.
    await cluster.configSet('healthyForMs', '500ms', n.server());
    await cluster.configSet('maxRttMs', '60s', n.server());
    await cluster.configSet('maxWriteLatencyMs', '60s', n.server());
  }
  await waitAll(a, 'continuous mirroring', (s) => s.state === 'continuous', 30_000);
  let primary = a;
  let backup = b;
  const expected = new Expectation();
  const writerOn = (node: Node, failover?: Node) =>
    HostWriter.start({ port: node.server().port, iqn: node.iqn, ...(failover ? { failover: { port: failover.server().port, iqn: failover.iqn } } : {}), depth: DEPTH, record: true, next: expected.next, pauseMs: rand(0, 3), readBack });
  const finish = async (writer: HostWriter, crashed: boolean, failedOver = crashed) => {
    await writer.stop(!crashed);
    expect(writer.stats.errors).toEqual([]);
    expected.merge(writer, failedOver);
  };
  /** Sync mirroring, every LUN continuous before the kill: every acknowledged write is on `node`. */
  const checkSyncSurvivors = (before: ReplicationStatus[], writer: HostWriter, node: Node, what: string, crash: CrashImages = {}) => {
    if (!SYNC || !before.every((s) => s.state === 'continuous')) return;
    const images = readImages(node);
    for (let lun = 0; lun < LUNS; lun++) {
      const missing = missingWrites(images[lun]!, writer.acked, lun, writer.unacknowledged);
      if (missing.length > 0) {
        // Everything needed to tell the causes apart afterwards: every acknowledgement (who gave it, when), the refusals and redirects.
        failureDetail = { what, lun, before, missing: JSON.parse(describeMissing(missing, writer.acked, images, crash)) as unknown, stats: writer.stats, acked: writer.acked };
      }
      expect(missing.length, `${what}: acknowledged writes missing on ${node.name} LUN ${lun}: ${describeMissing(missing, writer.acked, images, crash)}`).toBe(0);
    }
  };
  const converged = async (what: string): Promise<void> => {
    await waitAll(primary, `${what}: converged`, (s) => s.role === 'primary' && s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0 && s.binding.state === 'bound', 90_000);
    await waitAll(backup, `${what}: backup`, (s) => s.role === 'backup', 30_000);
    // A reconnect is acted on at the next tick (1 s): still continuous two ticks later, no switch since.
    const settled = await statuses(primary);
    await sleep(2_500);
    const later = await statuses(primary);
    if (later.some((s, lun) => s.state !== 'continuous' || s.lastSwitch?.at !== settled[lun]!.lastSwitch?.at)) return converged(`${what} (again)`);
    const imagesP = readImages(primary);
    const imagesB = readImages(backup);
    const missing = expected.missingIn(imagesP);
    expect(missing.length, `${what}: writes missing on the primary ${primary.name}: ${JSON.stringify(missing.slice(0, 3))}`).toBe(0);
    expect(expected.missingIn(imagesB).length, `${what}: writes missing on the backup ${backup.name}`).toBe(0);
    for (let lun = 0; lun < LUNS; lun++) expect(imagesP[lun]!.equals(imagesB[lun]!), `${what}: LUN ${lun} images differ`).toBe(true);
  };

  async function crashFailover(action: Action, writer: HostWriter): Promise<void> {
    const before = await statuses(primary);
    writer.halt();
    await cluster.kill(primary.server());
    await finish(writer, true);
    // Read before the promotion: the killed primary's images are final, the backup's not yet promoted.
    const crash: CrashImages = SYNC ? { killed: readImages(primary), unpromoted: readImages(backup) } : {};
    const promote = await cluster.promote(backup.server(), true);
    expect(promote.code, promote.stderr + promote.stdout).toBe(0);
    checkSyncSurvivors(before, writer, backup, 'promoted', crash);
    [primary, backup] = [backup, primary];
    const after = await writerOn(primary);
    await sleep(rand(0, 800));
    await backup.restart();
    const back = await waitAll(backup, 'the old primary stale', (s) => s.state === 'stale' || s.role === 'backup', 30_000);
    if (back.luns.some((l) => l.replication!.role !== 'backup')) {
      const demote = await cluster.demote(backup.server());
      expect(demote.code, demote.stderr + demote.stdout).toBe(0);
    }
    if (action === 'resync-crash') {
      await sleep(rand(0, 600));
      await cluster.kill(backup.server());
      await sleep(rand(0, 1500));
      await backup.restart();
    }
    await sleep(rand(0, 2000));
    await finish(after, false);
  }

  async function restartPrimary(action: Action, writer: HostWriter): Promise<void> {
    const before = await statuses(primary);
    writer.halt();
    if (action === 'both-crash') await Promise.all([cluster.kill(primary.server()), cluster.kill(backup.server())]);
    else {
      primary.server().child.kill('SIGTERM');
      await primary.server().exited;
    }
    // The same node comes back as the primary: what it acknowledged is in its page cache.
    await finish(writer, true, false);
    if (action === 'both-crash') {
      checkSyncSurvivors(before, writer, backup, 'both crashed');
      await backup.restart();
    }
    await sleep(rand(0, 1000));
    await primary.restart();
    const after = await writerOn(primary);
    await sleep(rand(200, 2000));
    await finish(after, false);
  }

  /**
   * A clean shutdown (SIGTERM) of the primary at a random moment of a switchover, then its
   * restart: whichever LUNs the switchover moved stay moved (a LUN cut mid-way would have left
   * both nodes backups), and running `tandem switchover` again finishes the others.
   */
  async function switchoverSigterm(writer: HostWriter): Promise<void> {
    writer.halt();
    const switching = runCli(['switchover', '--json', '--control', primary.server().control]);
    // The command takes ~0.5 s to start (node, yargs) and a few hundred ms to run.
    await sleep(rand(200, 1500));
    primary.server().child.kill('SIGTERM');
    await primary.server().exited;
    await switching;
    // A clean stop keeps what it acknowledged; a drained switchover has it on the peer too.
    await finish(writer, true, false);
    await primary.restart();
    const roles = (await statuses(primary)).map((s) => s.role);
    expect(roles.every((r) => r === 'primary' || r === 'backup'), JSON.stringify(roles)).toBe(true);
    if (roles.includes('backup')) {
      if (roles.includes('primary')) {
        await boundAgain(primary);
        await admin(primary, ['switchover']);
      }
      [primary, backup] = [backup, primary];
    }
    const after = await writerOn(primary);
    await sleep(rand(200, 2000));
    await finish(after, false);
  }

  /**
   * Until the LUNs of `node` still primary are bound again after a cut, and still so a tick
   * later: a reconnect is noticed at the next tick, so one that reported bound just after the
   * heal may be about to rebind (and a switchover then refused, rightly: "nothing changed").
   */
  async function boundAgain(node: Node): Promise<void> {
    const ok = (s: ReplicationStatus) => s.role === 'backup' || s.binding.state === 'bound';
    for (;;) {
      await waitAll(node, 'the LUNs left to switch over bound again', ok, 60_000);
      await sleep(1_500);
      if ((await statuses(node)).every(ok)) return;
    }
  }

  /** A `tandem` admin command on `node` (--json): exit 0 expected; its stdout. */
  async function admin(node: Node, args: string[]): Promise<string> {
    const r = await runCli([...args, '--json', '--control', node.server().control]);
    expect(r.code, `tandem ${args.join(' ')} on ${node.name}: ${r.stderr}${r.stdout}`).toBe(0);
    return r.stdout;
  }

  async function backupPointIds(): Promise<number[]> {
    const listed = JSON.parse(await admin(backup, ['points'])) as { targets: Array<{ points: Array<{ id: number }> }> };
    return listed.targets[0]!.points.map((p) => p.id);
  }

  /**
   * `point restore|expose` of a random point on the backup; returns its id. One that
   * retention pruned between the listing and the command (a pass point came meanwhile) is
   * refused, rightly: another is picked.
   */
  async function onRandomPoint(verb: 'restore' | 'expose'): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const ids = await backupPointIds();
      expect(ids.length, 'points on the backup').toBeGreaterThan(0);
      const id = ids[rand(0, ids.length)]!;
      // Several LUNs: a point is exposed one LUN at a time (a restore takes them all).
      const lun = verb === 'expose' && LUNS > 1 ? ['--target', backup.iqn, '--lun', String(rand(0, LUNS))] : [];
      const r = await runCli(['point', verb, String(id), ...lun, '--json', '--control', backup.server().control]);
      if (r.code === 0) return id;
      const pruned = r.stderr.includes(`holds no point ${id}`) && !(await backupPointIds()).includes(id);
      expect(pruned && attempt < 5, `tandem point ${verb} ${id} on ${backup.name}: ${r.stderr}${r.stdout}`).toBe(true);
    }
  }

  /** The replica link degraded for 1-6 s: delayed, throttled or stalled (the engine may trip rtt-high, write-latency-high or a timeout). */
  async function slowLink(): Promise<void> {
    const proxy = cluster.proxy;
    const how = rand(0, 3);
    if (how === 0) proxy.setDelay(rand(50, 500));
    else if (how === 1) proxy.throttle(rand(1, 8) * 1024 * 1024);
    else proxy.stall();
    await sleep(rand(1000, 6000));
    proxy.restore();
  }

  /**
   * Two admins at once, one on each node: `tandem switchover` on the primary, `promote` on the
   * backup. Half the time the promote is aimed at the narrow moment the primary reports itself
   * a backup while its PROMOTE is still on the wire (the primary's side of the link delayed,
   * the promote sent straight to the control socket, no CLI start-up), where it succeeds and
   * the switchover's PROMOTE is refused (the host writer stopped first); otherwise at a random
   * moment, under load. Whichever wins, the backup ends the only primary.
   */
  async function switchoverVersusPromote(writer: HostWriter): Promise<void> {
    const toBackup = primary === a ? cluster.proxy : cluster.reverseProxy!;
    const aimed = rand(0, 2) === 0;
    // Aimed, the whole drain runs on the slow link: under load it would hold host writes for
    // longer than a host waits (the race is between the admins, not with the host's writes).
    if (aimed) writer.halt();
    if (aimed || rand(0, 2) === 0) toBackup.setDelay(rand(200, 500));
    let settled = false;
    const switching = runCli(['switchover', '--json', '--control', primary.server().control], 90_000).finally(() => (settled = true));
    let promote: { code: number | null; stderr: string };
    if (aimed) {
      while (!settled && !(await statuses(primary)).every((s) => s.role === 'backup')) await sleep(5);
      const r = await controlRequest(backup.server().control, { cmd: 'promote', force: false }, { timeoutMs: 60_000 });
      promote = r.ok ? { code: 0, stderr: '' } : { code: 1, stderr: r.error };
    } else {
      await sleep(rand(0, 1500));
      promote = await cluster.promote(backup.server());
    }
    // The race is run: the rest of the switchover (a pass of what the slow link left behind) on a clean link.
    toBackup.restore();
    const switched = await switching;
    if (promote.code !== 0) expect(promote.stderr).toMatch(/reachable primary|already the primary/);
    else promotedByAdmin++;
    if (switched.code !== 0) {
      // The slow link timed the drain out: that LUN (and those after it) did not move, so
      // the backup's promote was refused; the same command on a clean link finishes them.
      expect(switched.stderr, switched.stderr + switched.stdout).toMatch(/could not bring the peer up to date .*nothing changed/);
      expect(promote.code, 'a promote beside a switchover that moved nothing').toBe(1);
      await boundAgain(primary);
      await admin(primary, ['switchover']);
    }
    [primary, backup] = [backup, primary];
    await waitAll(backup, 'the old primary a backup', (s) => s.role === 'backup', 10_000);
    await waitAll(primary, 'the only primary', (s) => s.role === 'primary', 10_000);
  }

  /**
   * A fault at a random moment of a switchover under load: a partition healed 0.3-3 s later,
   * or a SIGKILL of the backup or of the primary, restarted 0-2 s later (its page cache, and
   * so what it acknowledged or the drain moved, survives). Each LUN ends unchanged (its drain
   * cut: "nothing changed"; or refused at once), swapped, or for a while with both nodes
   * backups (its PROMOTE or the answer lost, the old primary killed); never two primaries.
   * The admin runs `switchover` again where the old primary still is one; a LUN a backup on
   * both must be handed over by the old primary by itself. A LUN only leaves its primary
   * after its drain, so every write the old primary acknowledged must be on the new one, in
   * async mirroring too.
   */
  async function switchoverInterrupted(writer: HostWriter, fault: 'partition' | 'backup-kill' | 'primary-kill'): Promise<void> {
    const toBackup = primary === a ? cluster.proxy : cluster.reverseProxy!;
    // Aimed: the cut falls while a PROMOTE or its answer is on the (delayed) wire, the writer
    // stopped so that the drain over the slow link holds no host write for long.
    const aimed = rand(0, 2) === 0;
    const delayMs = rand(200, 500);
    if (aimed) {
      writer.halt();
      toBackup.setDelay(delayMs);
    }
    let settled = false;
    const switching = runCli(['switchover', '--json', '--control', primary.server().control], 90_000).finally(() => (settled = true));
    if (aimed) {
      while (!settled && !(await statuses(primary)).some((s) => s.role === 'backup')) await sleep(5);
      await sleep(rand(0, 2 * delayMs));
    } else {
      // The command takes ~0.5 s to start (node, yargs) and a few hundred ms to run.
      await sleep(rand(300, 1500));
    }
    if (fault === 'partition') {
      cluster.partition();
      await sleep(rand(300, 3000));
      cluster.heal();
    } else {
      const victim = fault === 'backup-kill' ? backup : primary;
      // A write in flight at the kill may or may not be there; every one either node
      // acknowledged is in its page cache, or drained to the peer before its LUN moved.
      writer.halt();
      await cluster.kill(victim.server());
      toBackup.restore();
      await finish(writer, true, false);
      await sleep(rand(0, 2000));
      await victim.restart();
    }
    const switched = await switching;
    // A killed primary takes the command's answer with it: only the roles tell.
    const outcome =
      fault === 'primary-kill' ? 'killed' : switched.code === 0 ? 'swapped' : /nothing changed|no switchover now|stays the primary/.test(switched.stderr) ? 'unchanged' : 'unconfirmed';
    if (outcome === 'unchanged' || outcome === 'unconfirmed') expect(switched.stderr, switched.stderr + switched.stdout).toMatch(/nothing changed|did not confirm its promotion|no switchover now|refused by the peer .*stays the primary/);
    interruptedOutcomes[fault][outcome]++;
    const rolesOn = async (node: Node) => (await statuses(node)).map((s) => s.role);
    const [was, peer] = [await rolesOn(primary), await rolesOn(backup)];
    for (let lun = 0; lun < LUNS; lun++) expect([was[lun], peer[lun]], `LUN ${lun}: ${switched.stderr}`).not.toEqual(['primary', 'primary']);
    if (was.includes('primary')) {
      await boundAgain(primary);
      await admin(primary, ['switchover']);
    }
    // A LUN a backup on both nodes: the old primary hands it over by itself, at its next
    // ticks (after its restart, if it was killed); no admin needed.
    if ((await rolesOn(backup)).includes('backup')) interruptedOutcomes[fault].handedOverLater++;
    await waitAll(backup, 'the peer taking over every LUN', (s) => s.role === 'primary', 20_000);
    [primary, backup] = [backup, primary];
    await waitAll(backup, 'the old primary a backup', (s) => s.role === 'backup', 10_000);
    await waitAll(primary, 'the only primary', (s) => s.role === 'primary', 10_000);
  }

  async function underLoad(action: Action, writer: HostWriter): Promise<void> {
    if (action === 'switchover') {
      const r = await cluster.switchover(primary.server());
      expect(r.code, r.stderr + r.stdout).toBe(0);
      [primary, backup] = [backup, primary];
    } else if (action === 'double-switchover') {
      // Two admins (or a retrying script) at once: one swaps the roles, the other is refused.
      const control = primary.server().control;
      const results = await Promise.all([0, 1].map(() => runCli(['switchover', '--json', '--control', control])));
      expect(results.map((r) => r.code).sort(), results.map((r) => r.stderr + r.stdout).join(' | ')).toEqual([0, 1]);
      expect(results.find((r) => r.code === 1)!.stderr).toMatch(/not the primary/);
      [primary, backup] = [backup, primary];
    } else if (action === 'switchover-vs-promote') {
      await switchoverVersusPromote(writer);
    } else if (action === 'switchover-partition') {
      await switchoverInterrupted(writer, 'partition');
    } else if (action === 'backup-crash') {
      await cluster.kill(backup.server());
      await sleep(rand(0, 3000));
      await backup.restart();
    } else if (action === 'flavour-flip' || action === 'pause-resume') {
      const [first, second] = action === 'pause-resume' ? [['pause'], ['resume']] : [['mode', 'set', 'auto', SYNC ? '--async' : '--sync'], ['mode', 'set', 'auto', SYNC ? '--sync' : '--async']];
      await admin(primary, first);
      await sleep(rand(100, 2000));
      await admin(primary, second);
    } else if (action === 'point-restore' || action === 'point-expose') {
      await admin(primary, ['point', 'create', '--label', `cycle ${action}`]);
      await sleep(rand(100, 1000));
      const id = await onRandomPoint(action === 'point-restore' ? 'restore' : 'expose');
      if (action === 'point-expose') {
        await sleep(rand(0, 1000));
        await admin(backup, ['point', 'unexpose', String(id)]);
      }
    } else if (action === 'slow-link') {
      await slowLink();
    } else if (action === 'delta-mode') {
      await admin(primary, ['mode', 'set', 'delta']);
      await sleep(rand(100, 1500));
      if (rand(0, 2) === 0) await admin(primary, ['replicate']);
      await admin(primary, ['mode', 'set', 'auto', SYNC ? '--sync' : '--async']);
    } else if (action === 'verify') {
      // A live pair in step verifies identical (host writes in flight are rechecked under a hold).
      const reports = JSON.parse(await admin(primary, ['verify'])) as Array<{ lun: number; report: { differingChunks: number } }>;
      expect(reports.map((r) => r.report.differingChunks)).toEqual(new Array(LUNS).fill(0));
    } else {
      cluster.partition();
      await sleep(rand(300, 7000));
      cluster.heal();
    }
    await sleep(rand(100, 1000));
    await finish(writer, false);
  }

  /**
   * Split brain: the writer stopped and the pair in step, a partition, the backup promoted
   * with --force once the primary has noticed the cut (so its next write starts a history of
   * its own), writes on both, the link healed; both must report split-brain on every LUN,
   * then `resolve --discard-local` on a random side: only the other side's writes count.
   */
  async function splitBrain(writer: HostWriter): Promise<void> {
    writer.halt();
    await finish(writer, false);
    await waitAll(primary, 'in step before the split', (s) => s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0, 60_000);
    await waitAll(backup, 'the backup on the primary\'s history', (s) => s.peer?.role === 'primary' && s.generations.current !== '', 30_000);
    cluster.partition();
    await waitAll(primary, 'the cut noticed', (s) => s.state !== 'continuous', 30_000);
    const promote = await cluster.promote(backup.server(), true);
    expect(promote.code, promote.stderr + promote.stdout).toBe(0);
    const writers = await Promise.all([writerOn(primary), writerOn(backup)]);
    while (writers.some((w) => w.stats.acked < 10 * LUNS && w.stats.errors.length === 0)) await sleep(20);
    for (const w of writers) await w.stop(true);
    for (const w of writers) expect(w.stats.errors).toEqual([]);
    await sleep(rand(0, 1000));
    cluster.heal();
    for (const node of [primary, backup]) await waitAll(node, `split brain reported by ${node.name}`, (s) => s.state === 'split-brain', 30_000);
    const keepBackup = rand(0, 2) === 0;
    const [survivor, victim] = keepBackup ? [backup, primary] : [primary, backup];
    const resolve = await cluster.resolveDiscardLocal(victim.server());
    expect(resolve.code, resolve.stderr + resolve.stdout).toBe(0);
    expected.merge(writers[keepBackup ? 1 : 0]!, false);
    [primary, backup] = [survivor, victim];
  }

  const done = new Map<Action, number>();
  /** switchover-vs-promote cycles whose promote won (the switchover found its peer promoted already). */
  let promotedByAdmin = 0;
  /** The interrupted switchovers: how the command ended, and how often a LUN was left with both nodes backups for a while (handed over later). */
  const outcomes = () => ({ swapped: 0, unchanged: 0, unconfirmed: 0, killed: 0, handedOverLater: 0 });
  const interruptedOutcomes = { partition: outcomes(), 'backup-kill': outcomes(), 'primary-kill': outcomes() };
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const action = ACTIONS[rand(0, ACTIONS.length)]!;
      const started = Date.now();
      const writer = await writerOn(primary, backup);
      await sleep(rand(100, 1500));
      if (action === 'crash-failover' || action === 'resync-crash') await crashFailover(action, writer);
      else if (action === 'both-crash' || action === 'primary-restart') await restartPrimary(action, writer);
      else if (action === 'split-brain') await splitBrain(writer);
      else if (action === 'switchover-sigterm') await switchoverSigterm(writer);
      else if (action === 'switchover-primary-kill' || action === 'switchover-backup-kill') {
        await switchoverInterrupted(writer, action === 'switchover-primary-kill' ? 'primary-kill' : 'backup-kill');
        const after = await writerOn(primary, backup);
        await sleep(rand(200, 2000));
        await finish(after, false);
      }
      else await underLoad(action, writer);
      await converged(`cycle ${cycle} ${action}`);
      done.set(action, (done.get(action) ?? 0) + 1);
      console.info(`cycle ${cycle} ${action}: primary ${primary.name}, ${Date.now() - started} ms, ${expected.slots.size} slots known`);
    }
  } catch (e) {
    for (const node of [primary, backup]) console.error(JSON.stringify(await statuses(node).then((ss) => ss.map(summary), () => undefined)));
    const keep = `/tmp/chaos-fail-${Date.now()}`;
    cpSync(cluster.dir, keep, { recursive: true, filter: (src) => !src.endsWith('.sock') });
    if (failureDetail) writeFileSync(`${keep}/soak-detail.json`, JSON.stringify(failureDetail));
    console.error(`logs and images kept in ${keep}`);
    throw e;
  }
  report('chaos soak', { mirroring: SYNC ? 'sync' : 'async', luns: LUNS, cycles: CYCLES, ...Object.fromEntries(done), ...(done.has('switchover-vs-promote') ? { promotedByAdmin } : {}), ...(INTERRUPTED_SWITCHOVERS.some((k) => done.has(k)) ? { interruptedOutcomes } : {}) });
});
