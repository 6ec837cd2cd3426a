import { pino, type Logger } from 'pino';

/** One process-wide structured logger; modules take children with their own bindings. */
export const rootLogger: Logger = pino({
  level: process.env.TANDEM_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
});

export function setLogLevel(level: string): void {
  rootLogger.level = level;
}

export function moduleLogger(module: string): Logger {
  return rootLogger.child({ module });
}

export type { Logger };
