#!/usr/bin/env -S node --max-semi-space-size=8
// libuv's pool runs every disk I/O and hash; 4 threads would cap queue depth far below what initiators send.
process.env.UV_THREADPOOL_SIZE ??= '16';

import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../util/usage-error.js';
import { DEFAULT_CONTROL_PATH, checkControlPath } from './replication-options.js';
import { LUN_OPTIONS, buildServeSettings } from './serve-options.js';
import { RBD_LUN_OPTIONS } from './rbd-lun.js';
import { rejectMissingValues } from './missing-values.js';
import { positiveInteger, rejectNonNumbers } from './option-checks.js';
import { DEFAULT_RBD_OP_TIMEOUT_S } from '../block/rbd-store.js';
import { DEFAULT_BUFFER_MEMORY_BYTES, DEFAULT_MAX_CONNECTIONS, MIN_BUFFER_MEMORY_BYTES } from '../target/transport-limits.js';
import { rootLogger, setLogLevel } from '../util/log.js';
import type { LunSelector } from '../replication/control/protocol.js';
import type { AdminOptions } from './admin/actions.js';

function fail(message: string, code = 2): never {
  // One line, whatever the message: yargs spreads some of its own over several.
  process.stderr.write(`tandem: ${message.trim().replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(code);
}

// A reader that went away (`tandem status --watch | head`) ends a command as it ends any Unix
// filter, quietly; not the server, whose log reader going away is no reason to stop serving.
if (hideBin(process.argv)[0] !== 'serve') {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

async function serve(argv: Record<string, unknown>): Promise<void> {
  const settings = buildServeSettings({
    listen: argv.listen as string[] | undefined,
    iqn: argv.iqn as string | undefined,
    lun: argv.lun as string[] | undefined,
    chap: argv.chap as string | undefined,
    mutualChap: argv['mutual-chap'] as string | undefined,
    allow: argv.allow as string[] | undefined,
    config: argv.config as string | undefined,
    logLevel: argv['log-level'] as string | undefined,
    advertise: argv.advertise as string | undefined,
    role: argv.role as string | undefined,
    replica: argv.replica as string | undefined,
    peer: argv.peer as string | undefined,
    afterSplitBrain: argv['after-split-brain'] as string | undefined,
    replicationMode: argv['replication-mode'] as string | undefined,
    sync: syncFlag(argv),
    startOver: argv['start-over'] as boolean | undefined,
    replicatorIqn: argv['replicator-iqn'] as string | undefined,
    control: argv.control as string | undefined,
    metrics: argv.metrics as string | undefined,
    maxConnections: argv['max-connections'] as string | undefined,
    bufferMemory: argv['buffer-memory'] as string | undefined,
    threshold: argv.threshold as string[] | undefined,
    pointHook: argv['point-hook'] as string | undefined,
    pointHookTimeout: argv['point-hook-timeout'] as string | undefined,
  });
  setLogLevel(settings.logLevel);
  const { startServer, ReplicaSetupError, PrStateFileError } = await import('./serve.js');
  const { ControlPathTakenError } = await import('../replication/control/server.js');
  const running = await startServer(settings).catch((e: unknown) => {
    if (e instanceof ReplicaSetupError || e instanceof ControlPathTakenError || e instanceof PrStateFileError) fail(e.message, 1);
    throw e;
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    rootLogger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (e: unknown) => {
        rootLogger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** --sync → true, --async → false, neither → undefined (config or default decides). */
function syncFlag(argv: Record<string, unknown>): boolean | undefined {
  if (argv.sync && argv.async) throw new UsageError('--sync and --async exclude each other');
  if (argv.sync) return true;
  if (argv.async) return false;
  return undefined;
}

/** What --sync and --async promise the host (docs/replication.md, "Modes"). */
const MIRROR_SYNC_HELP = 'continuous mirroring completes a host write once both nodes have applied it, a flush or FUA write once both hold it durably';
const MIRROR_ASYNC_HELP = 'continuous mirroring completes a host write once this node has applied it; the backup follows in order';
const JSON_OPTION = { type: 'boolean', default: false, describe: 'print the result as JSON' } as const;
// An admin command's --control is refused as serve refuses it, not left to fail at connect.
const CONTROL_OPTION = { type: 'string', default: DEFAULT_CONTROL_PATH, describe: 'control socket of the running tandem serve', coerce: checkControlPath } as const;
const TARGET_OPTION = { type: 'string', describe: 'apply to this target\'s replicated LUNs only (IQN)' } as const;
const LUN_OPTION = { type: 'number', describe: 'apply to this LUN number only (default: every replicated LUN)' } as const;

/** --json, --target, --lun and --control: what every admin action takes. */
function adminActionOptions<T>(y: Argv<T>) {
  return y.option('json', JSON_OPTION).option('target', TARGET_OPTION).option('lun', LUN_OPTION).option('control', CONTROL_OPTION);
}

/** --target/--lun of the admin actions, as the control request's selector. */
function selectorOf(argv: { target?: unknown; lun?: unknown }): { select?: LunSelector } {
  const lun = argv.lun as number | undefined;
  if (lun !== undefined && (!Number.isSafeInteger(lun) || lun < 0 || lun > 16383)) throw new UsageError(`--lun must be a LUN number (0-16383), not ${String(argv.lun)}`);
  const select: LunSelector = {};
  if (typeof argv.target === 'string') select.target = argv.target;
  if (lun !== undefined) select.lun = lun;
  return Object.keys(select).length > 0 ? { select } : {};
}

/**
 * Client commands print results on stdout, where pino also writes: keep it to warnings (none with --json).
 * Called before their modules load: child loggers copy the level when created.
 */
function quietClientLogs(json: boolean): void {
  setLogLevel(process.env.TANDEM_LOG_LEVEL ?? (json ? 'silent' : 'warn'));
}

/** The handler of an admin action that takes adminActionOptions alone; its module is loaded when it runs. */
function adminAction(load: () => Promise<(options: AdminOptions) => Promise<number>>) {
  return async (argv: { json?: unknown; control?: unknown; target?: unknown; lun?: unknown }) => {
    quietClientLogs(argv.json as boolean);
    const command = await load();
    process.exitCode = await command({ control: argv.control as string, json: argv.json as boolean, ...selectorOf(argv) });
  };
}

// yargs' CommonJS build: its ES module build wraps help text at the column, splitting
// words ('127.0\n.0.1:3260'); the CommonJS one wraps between words.
const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default;

const parser = yargs(hideBin(process.argv))
  .scriptName('tandem')
  .strict()
  .middleware((argv) => {
    rejectMissingValues(argv, hideBin(process.argv));
    rejectNonNumbers(argv, hideBin(process.argv));
  }, true)
  // Known before the command too: `tandem --json status` read "status" as --json's value.
  // Not hidden: yargs keeps a global option's hiding in every command's help (serve hides it itself).
  .option('json', { type: 'boolean', describe: JSON_OPTION.describe })
  .command(
    'serve',
    'Serve iSCSI targets (with no flags: a 1 GiB sparse LUN ./data/disk0.img on 127.0.0.1:3260)',
    (y) =>
      y
        .option('listen', { type: 'string', array: true, describe: 'HOST:PORT to listen on (repeatable)' })
        .option('iqn', { type: 'string', describe: 'target name' })
        .option('lun', { type: 'string', array: true, describe: `PATH[,OPTION...] or rbd:POOL/IMAGE[,OPTION...] (repeatable; numbered in order). OPTION: ${LUN_OPTIONS}; an RBD image's also ${RBD_LUN_OPTIONS}. op-timeout: the seconds before I/O to an unresponsive OSD fails NOT READY, which the host retries (default ${DEFAULT_RBD_OP_TIMEOUT_S}: wait for the OSD; at most 14 keeps a write under Linux's 30 s command timeout; turns librbd's write-around cache off)` })
        .option('chap', { type: 'string', describe: 'USER:SECRET the initiator must authenticate with' })
        .option('mutual-chap', { type: 'string', describe: 'USER:SECRET the target answers with (mutual CHAP)' })
        .option('allow', { type: 'string', array: true, describe: 'initiator IQN allowed to log in (repeatable)' })
        .option('config', { type: 'string', describe: 'JSON file with the same settings' })
        .option('advertise', { type: 'string', describe: 'HOST:PORT that SendTargets reports instead of the local address' })
        .option('log-level', { type: 'string', describe: 'fatal|error|warn|info|debug|trace|silent' })
        .option('role', { type: 'string', describe: 'replication role: primary|backup' })
        .option('peer', { type: 'string', describe: 'iscsi://USER:SECRET@HOST:PORT/IQN/LUN of the single LUN\'s peer (the other node of the pair; both roles)' })
        .option('replica', { type: 'string', describe: 'primary: the same as --peer (the single LUN\'s backup)' })
        .option('after-split-brain', { type: 'string', describe: 'disconnect|discard-zero-changes|discard-least-changes|discard-younger-primary (default disconnect)' })
        .option('replication-mode', { type: 'string', describe: 'continuous|delta|auto (default auto)' })
        .option('sync', { type: 'boolean', describe: MIRROR_SYNC_HELP })
        .option('async', { type: 'boolean', describe: `${MIRROR_ASYNC_HELP} (default)` })
        .option('start-over', { type: 'boolean', describe: 'primary: overwrite a replica that belongs to another volume' })
        .option('replicator-iqn', { type: 'string', describe: 'initiator name the primary replicates as; on a backup the only one allowed to write' })
        .option('control', { type: 'string', describe: `control socket path (with --role: default ${DEFAULT_CONTROL_PATH}; a plain target opens one only when given)` })
        .option('metrics', { type: 'string', describe: 'HOST:PORT for a Prometheus endpoint (GET /metrics)' })
        .option('max-connections', { type: 'string', describe: `connections held at once, all portals together; more are answered "out of resources" at login (default ${DEFAULT_MAX_CONNECTIONS})` })
        .option('buffer-memory', { type: 'string', describe: `SIZE of the write and read buffers all connections hold together; beyond it commands wait (default ${DEFAULT_BUFFER_MEMORY_BYTES / 1024 ** 3}GiB, at least ${MIN_BUFFER_MEMORY_BYTES / 1024 ** 2}MiB)` })
        .option('threshold', { type: 'string', array: true, describe: 'primary: KEY=VALUE switching threshold, deltaIntervalMs or pointInterval (repeatable; see tandem config set)' })
        .option('point-hook', { type: 'string', describe: 'shell command run before and after every recovery point (TANDEM_POINT_PHASE=before|after, TANDEM_POINT_ID; killed after --point-hook-timeout)' })
        .option('point-hook-timeout', { type: 'string', describe: 'seconds a point hook run may take before it is killed and counts as failed (default 30)' })
        .hide('json'),
    (argv) => {
      if (argv.json !== undefined) throw new UsageError('serve takes no --json: it logs JSON lines (tandem status --json reports on a running one)');
      return serve(argv as Record<string, unknown>);
    },
  )
  .command(
    'status',
    'Replication status of the running server: mode, link, journal, dirty chunks, last pass, recovery point',
    (y) =>
      y
        .option('json', JSON_OPTION)
        .option('watch', { type: 'boolean', default: false, describe: 'refresh every second' })
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { statusCommand } = await import('./admin/status.js');
      process.exitCode = await statusCommand({ control: argv.control, json: argv.json as boolean, watch: argv.watch as boolean });
    },
  )
  .command(
    'sessions',
    'The iSCSI sessions logged in to the running server: initiator, ISID/TSIH, address, portal, since, authentication, digests, commands running',
    (y) =>
      y
        .option('json', JSON_OPTION)
        .option('target', { type: 'string', describe: 'only the sessions of this target (IQN)' })
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { sessionsCommand } = await import('./admin/sessions.js');
      process.exitCode = await sessionsCommand({ control: argv.control, json: argv.json as boolean, ...(argv.target !== undefined ? { target: argv.target as string } : {}) });
    },
  )
  .command(
    'mode <action> <mode>',
    'tandem mode set continuous|delta|auto [--sync|--async]',
    (y) =>
      y
        .positional('action', { type: 'string', choices: ['set'], demandOption: true })
        .positional('mode', { type: 'string', choices: ['continuous', 'delta', 'auto'], demandOption: true })
        .option('sync', { type: 'boolean', describe: MIRROR_SYNC_HELP })
        .option('async', { type: 'boolean', describe: MIRROR_ASYNC_HELP })
        .option('json', JSON_OPTION)
        .option('target', TARGET_OPTION)
        .option('lun', LUN_OPTION)
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const sync = syncFlag(argv as Record<string, unknown>);
      const { modeSetCommand } = await import('./admin/actions.js');
      process.exitCode = await modeSetCommand({
        control: argv.control,
        json: argv.json as boolean,
        mode: argv.mode as 'continuous' | 'delta' | 'auto',
        ...(sync === undefined ? {} : { flavour: sync ? 'sync' : 'async' }),
        ...selectorOf(argv),
      });
    },
  )
  .command(
    'point <action> [id]',
    'Recovery points: tandem point create [--label TEXT] | export ID --to FILE [--lun N] | expose ID [--lun N] | unexpose ID | restore ID',
    (y) =>
      adminActionOptions(
        y
          .positional('action', { type: 'string', choices: ['create', 'export', 'expose', 'unexpose', 'restore'], demandOption: true })
          .positional('id', { type: 'number', describe: 'the point (export, expose, unexpose, restore)' })
          .option('label', { type: 'string', describe: 'create: a label kept with the point (at most 64 bytes)' })
          .option('to', { type: 'string', describe: 'export: the sparse file to write the point\'s image to' }),
      ),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const base = { control: argv.control, json: argv.json as boolean, ...selectorOf(argv) };
      const actions = await import('./admin/points.js');
      if (argv.to !== undefined && argv.action !== 'export') throw new UsageError(`point ${String(argv.action)} takes no --to (only export does)`);
      if (argv.action === 'create') {
        if (argv.id !== undefined) throw new UsageError('point create takes no id');
        process.exitCode = await actions.pointCreateCommand({ ...base, ...(argv.label !== undefined ? { label: argv.label as string } : {}) });
        return;
      }
      const id = argv.id as number | undefined;
      if (id === undefined || !Number.isSafeInteger(id) || id <= 0) throw new UsageError(`point ${String(argv.action)} needs the point's id (a positive integer)`);
      if (argv.label !== undefined) throw new UsageError(`point ${String(argv.action)} takes no --label (only create does)`);
      // export and expose serve one LUN: LUN 0 unless --lun says otherwise.
      const oneLun = { ...base, select: { ...base.select, lun: (argv.lun as number | undefined) ?? 0 } };
      switch (argv.action) {
        case 'export':
          if (typeof argv.to !== 'string' || argv.to === '') throw new UsageError('point export needs --to FILE');
          process.exitCode = await actions.pointExportCommand({ ...oneLun, id, to: argv.to });
          return;
        case 'expose':
          process.exitCode = await actions.pointExposeCommand({ ...oneLun, id });
          return;
        case 'unexpose':
          process.exitCode = await actions.pointUnexposeCommand({ ...base, id });
          return;
        default:
          process.exitCode = await actions.pointRestoreCommand({ ...base, id });
      }
    },
  )
  .command(
    'points',
    'List the recovery points this node holds: id, time, origin, bytes, label',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/points.js')).pointsCommand),
  )
  .command(
    'replicate',
    'Run a delta pass now and report the bytes sent and its duration',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/actions.js')).replicateCommand),
  )
  .command(
    'pause',
    'Stop sending to the backup; writes are tracked in the delta table',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/actions.js')).pauseCommand),
  )
  .command(
    'resume',
    'Undo pause: passes and the return to continuous mirroring resume',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/actions.js')).resumeCommand),
  )
  .command(
    'promote',
    'Make this backup the primary (--force: even with the peer unreachable or a resync unfinished)',
    (y) =>
      y
        .option('force', { type: 'boolean', default: false, describe: 'promote even when the peer is unreachable, a primary, or this node\'s resync is unfinished' })
        .option('json', JSON_OPTION)
        .option('target', TARGET_OPTION)
        .option('lun', LUN_OPTION)
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { promoteCommand } = await import('./admin/roles.js');
      process.exitCode = await promoteCommand({ control: argv.control, json: argv.json as boolean, force: argv.force as boolean, ...selectorOf(argv) });
    },
  )
  .command(
    'demote',
    'Make this primary a backup: it stops taking host writes and is resynchronised from its peer',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/roles.js')).demoteCommand),
  )
  .command(
    'switchover',
    'Planned role swap: hold host writes, drain to the peer, demote this primary, promote the peer',
    (y) => adminActionOptions(y),
    adminAction(async () => (await import('./admin/roles.js')).switchoverCommand),
  )
  .command(
    'resolve',
    'End a split brain on this node: --discard-local gives up its changes since the common generation',
    (y) =>
      y
        .option('discard-local', { type: 'boolean', demandOption: 'name the resolution: --discard-local (this node\'s changes since the common generation are discarded)', describe: 'discard this node\'s changes and resynchronise from the peer' })
        .option('json', JSON_OPTION)
        .option('target', TARGET_OPTION)
        .option('lun', LUN_OPTION)
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      if (argv['discard-local'] !== true) throw new UsageError('resolve needs --discard-local (the only resolution: this node discards its changes)');
      const { resolveCommand } = await import('./admin/roles.js');
      process.exitCode = await resolveCommand({ control: argv.control, json: argv.json as boolean, ...selectorOf(argv) });
    },
  )
  .command(
    'config <action> <key> <value>',
    'tandem config set KEY VALUE: change a switching threshold or the split-brain policy at run time',
    (y) =>
      y
        .positional('action', { type: 'string', choices: ['set'], demandOption: true })
        .positional('key', { type: 'string', demandOption: true, describe: 'maxRttMs, maxWriteLatencyMs, maxNetInflowBytesPerSec, maxJournalFill, maxRedundancy, healthyForMs, lowTrafficBytesPerSec, lowTrafficForMs, deltaIntervalMs, pointInterval, afterSplitBrain, retention' })
        .positional('value', { type: 'string', demandOption: true })
        .option('json', JSON_OPTION)
        .option('target', TARGET_OPTION)
        .option('lun', LUN_OPTION)
        .option('control', CONTROL_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { configSetCommand } = await import('./admin/actions.js');
      process.exitCode = await configSetCommand({
        control: argv.control,
        json: argv.json as boolean,
        key: argv.key as string,
        value: String(argv.value),
        ...selectorOf(argv),
      });
    },
  )
  .command(
    'probe <url>',
    'Show what a target LUN is, its capacity, and its challenge-response support',
    (y) => y.positional('url', { type: 'string', demandOption: true, describe: 'iscsi://[user[:secret]@]host[:port]/IQN/LUN' }).option('json', JSON_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { probeCommand } = await import('./probe.js');
      process.exitCode = await probeCommand({ url: argv.url as string, json: argv.json as boolean });
    },
  )
  .command(
    'challenge <url>',
    'Send one CHALLENGE (C1h) and print the nonce and the answer V_B',
    (y) =>
      y
        .positional('url', { type: 'string', demandOption: true, describe: 'iscsi://[user[:secret]@]host[:port]/IQN/LUN' })
        .option('lba', { type: 'string', demandOption: true, describe: 'first logical block' })
        .option('blocks', { type: 'string', describe: 'extent length in blocks (1-255, default 1)' })
        .option('nonce', { type: 'string', describe: '8-byte nonce in hex (default: random)' })
        .option('json', JSON_OPTION),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { challengeCommand } = await import('./challenge.js');
      process.exitCode = await challengeCommand({
        url: argv.url as string,
        lba: argv.lba as string,
        ...(argv.blocks !== undefined ? { blocks: argv.blocks as string } : {}),
        ...(argv.nonce !== undefined ? { nonce: argv.nonce as string } : {}),
        json: argv.json as boolean,
      });
    },
  )
  .command(
    'verify',
    'Compare a replica with its source by batched challenges; --repair rewrites the chunks that differ',
    (y) =>
      y
        .option('source', { type: 'string', describe: 'PATH of the local copy, rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,op-timeout=SECONDS] of a Ceph image, or iscsi:// URL of the source LUN (omit both: the running primary verifies its configured replicas)' })
        .option('replica', { type: 'string', describe: 'iscsi:// URL of the replica LUN' })
        .option('control', { type: 'string', describe: `without --source/--replica: control socket of the primary (default ${DEFAULT_CONTROL_PATH})`, coerce: checkControlPath })
        .option('chunk', { type: 'string', default: '64KiB', describe: 'bytes per challenged extent' })
        .option('repair', { type: 'boolean', default: false, describe: 'write the differing chunks from the source to the replica (without --source/--replica: the running primary marks them and a pass copies them)' })
        .option('depth', { type: 'string', describe: 'challenge lists in flight per session (default 6)' })
        .option('algorithm', { type: 'string', choices: ['sha256', 'xxh3'], describe: 'challenge digest (default: xxh3 where both ends have it, else sha256)' })
        .option('target', { ...TARGET_OPTION, describe: 'without --source/--replica: verify this target\'s replicated LUNs only' })
        .option('lun', { ...LUN_OPTION, describe: 'without --source/--replica: verify this LUN only' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON report' }),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      // Checked here, not by the server only: misuse is exit 2 with no server running as with one.
      const depth = argv.depth === undefined ? {} : { depth: positiveInteger(argv.depth, '--depth') };
      if (argv.source === undefined && argv.replica === undefined) {
        if (argv.algorithm !== undefined) throw new UsageError('--algorithm needs --source and --replica (the running primary picks the fastest its replica offers)');
        const { parseSize } = await import('../util/parse-size.js');
        const { controlVerifyCommand } = await import('./admin/verify.js');
        process.exitCode = await controlVerifyCommand({
          control: argv.control ?? DEFAULT_CONTROL_PATH,
          json: argv.json as boolean,
          chunk: parseSize(argv.chunk as string, '--chunk'),
          ...depth,
          ...(argv.repair ? { repair: true } : {}),
          ...selectorOf(argv),
        });
        return;
      }
      if (argv.source === undefined || argv.replica === undefined) throw new UsageError('give both --source and --replica, or neither (to verify the running primary\'s configured replicas)');
      // Each names the running primary's LUNs; ignored here, --lun 1 would report on the URL's LUN as if on LUN 1.
      for (const flag of ['control', 'target', 'lun'] as const) {
        if (argv[flag] !== undefined) throw new UsageError(`--${flag} only applies without --source/--replica`);
      }
      const { verifyCommand } = await import('./verify/command.js');
      process.exitCode = await verifyCommand({
        source: argv.source as string,
        replica: argv.replica as string,
        chunk: argv.chunk as string,
        repair: argv.repair as boolean,
        json: argv.json as boolean,
        ...depth,
        ...(argv.algorithm !== undefined ? { algorithm: argv.algorithm as string } : {}),
      });
    },
  )
  .demandCommand(1, 'name a command, such as serve (tandem --help lists them)')
  .fail((msg, err) => {
    // What an option's coerce throws (a UsageError) reaches here as yargs' YError of its message.
    if (err && !(err instanceof UsageError) && err.name !== 'YError') throw err;
    if (err) fail(err.message);
    // yargs' own messages do not say what was expected: point at the command's help.
    const command = hideBin(process.argv).find((w) => !w.startsWith('-'));
    const known = command !== undefined && /^[a-z]+$/.test(command) && !new RegExp(`^Unknown arguments?: (.*, )?${command}(,|$)`).test(msg);
    fail(known ? `${msg} (see tandem ${command} --help)` : msg);
  })
  .help();

try {
  await parser.parseAsync();
} catch (e) {
  if (e instanceof UsageError) fail(e.message);
  const err = e as NodeJS.ErrnoException;
  // Startup failures the user can fix (port in use, unreadable LUN) get one line, not a stack.
  if (err?.code) fail(`${err.message}`, 1);
  throw e;
}
