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
