/**
 * A TCP socket whose reads land where its PDU reader says (net.Socket's `onread`): a large
 * data segment goes from the kernel straight into the memory it lands in (a write command's
 * buffer), with no 64 KiB chunk allocated per read and no copy out of it. Measured on 1 MiB
 * writes, chunk allocation (and the GC it drives) and that copy were a fifth of the target's
 * JS thread (docs/performance.md).
 */
import { Socket } from 'node:net';
import type { PduReader } from './pdu-reader.js';

interface WithHandle {
  _handle?: unknown;
}

/**
 * Reads of `raw` into `reader`. A TCP socket accepted paused (`pauseOnConnect`) and not yet
 * read is taken over by a socket on the same handle that reads where the reader says; the
 * caller must use the returned socket from then on. Anything else (a test's in-memory
 * stream) is read the ordinary way, chunk by chunk.
 */
export function framedSocket(raw: Socket, reader: PduReader): Socket {
  const handle = (raw as WithHandle)._handle;
  if (handle && raw.isPaused() && raw.bytesRead === 0) {
    const socket = new Socket({
      handle,
      onread: { buffer: () => reader.nextReadBuffer(), callback: (n: number, buf: Uint8Array) => reader.pushRead(n, buf as Buffer) },
    } as ConstructorParameters<typeof Socket>[0]);
    // The accepting server counts `raw` as open until it is destroyed (server.close waits for
    // it); its handle is the new socket's, closed already: destroyed without it.
    socket.once('close', () => {
      (raw as WithHandle)._handle = null;
      raw.destroy();
    });
    return socket;
  }
  raw.on('data', (chunk: Buffer) => reader.push(chunk));
  return raw;
}
