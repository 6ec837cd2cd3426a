#!/usr/bin/env node
// libuv's pool runs every disk I/O and hash; 4 threads would cap queue depth far below what initiators send.
process.env.UV_THREADPOOL_SIZE ??= '16';

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from './errors.js';
import { buildServeSettings } from './serve-options.js';
import { rootLogger, setLogLevel } from '../util/log.js';

function fail(message: string, code = 2): never {
  process.stderr.write(`tandem: ${message}\n`);
  process.exit(code);
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
  });
  setLogLevel(settings.logLevel);
  const { startServer } = await import('./serve.js');
  const running = await startServer(settings);
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

/**
 * Client commands print results on stdout, where pino also writes: keep it to warnings (none with --json).
 * Called before their modules load: child loggers copy the level when created.
 */
function quietClientLogs(json: boolean): void {
  setLogLevel(process.env.TANDEM_LOG_LEVEL ?? (json ? 'silent' : 'warn'));
}

const parser = yargs(hideBin(process.argv))
  .scriptName('tandem')
  .strict()
  .command(
    'serve',
    'Serve iSCSI targets (with no flags: a 1 GiB sparse LUN ./data/disk0.img on 127.0.0.1:3260)',
    (y) =>
      y
        .option('listen', { type: 'string', array: true, describe: 'HOST:PORT to listen on (repeatable)' })
        .option('iqn', { type: 'string', describe: 'target name' })
        .option('lun', { type: 'string', array: true, describe: 'PATH[,size=SIZE][,readonly][,blocksize=512|4096] (repeatable; numbered in order)' })
        .option('chap', { type: 'string', describe: 'USER:SECRET the initiator must authenticate with' })
        .option('mutual-chap', { type: 'string', describe: 'USER:SECRET the target answers with (mutual CHAP)' })
        .option('allow', { type: 'string', array: true, describe: 'initiator IQN allowed to log in (repeatable)' })
        .option('config', { type: 'string', describe: 'JSON file with the same settings' })
        .option('advertise', { type: 'string', describe: 'HOST:PORT that SendTargets reports instead of the local address' })
        .option('log-level', { type: 'string', describe: 'fatal|error|warn|info|debug|trace|silent' }),
    (argv) => serve(argv as Record<string, unknown>),
  )
  .command(
    'probe <url>',
    'Show what a target LUN is, its capacity, and its challenge-response support',
    (y) => y.positional('url', { type: 'string', demandOption: true, describe: 'iscsi://[user[:secret]@]host[:port]/IQN/LUN' }).option('json', { type: 'boolean', default: false }),
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
        .option('json', { type: 'boolean', default: false }),
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
        .option('source', { type: 'string', demandOption: true, describe: 'PATH of the local copy, or iscsi:// URL of the source LUN' })
        .option('replica', { type: 'string', demandOption: true, describe: 'iscsi:// URL of the replica LUN' })
        .option('chunk', { type: 'string', default: '64KiB', describe: 'bytes per challenged extent' })
        .option('repair', { type: 'boolean', default: false, describe: 'write the differing chunks from the source to the replica' })
        .option('depth', { type: 'number', describe: 'challenge lists in flight per session (default 6)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON report' }),
    async (argv) => {
      quietClientLogs(argv.json as boolean);
      const { verifyCommand } = await import('./verify/command.js');
      process.exitCode = await verifyCommand({
        source: argv.source as string,
        replica: argv.replica as string,
        chunk: argv.chunk as string,
        repair: argv.repair as boolean,
        json: argv.json as boolean,
        ...(argv.depth !== undefined ? { depth: argv.depth as number } : {}),
      });
    },
  )
  .demandCommand(1, 'name a command: serve')
  .fail((msg, err) => {
    if (err && !(err instanceof UsageError)) throw err;
    fail(err ? err.message : msg);
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
