/**
 * Another open file description of the very file `fd` has open, even if its path was renamed
 * since: through /proc/self/fd. Throws where there is no /proc. The description has an error
 * cursor of its own (sync-descriptors.ts, writeback-witness.ts). libuv opens it O_CLOEXEC.
 */
import { openSync } from 'node:fs';

export function reopenFile(fd: number, flags: number): number {
  return openSync(`/proc/self/fd/${fd}`, flags);
}
