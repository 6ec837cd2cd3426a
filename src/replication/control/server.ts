/**
 * The control API's Unix socket: mode 0600 (only the serving user may steer replication),
 * JSON lines, requests on one connection answered in order. A stale socket file left by a
 * crashed server is replaced; a live one is refused.
 */
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ControlProtocolError, LineSplitter, encodeLine, parseControlRequest, type ControlRequest, type ControlResponse } from './protocol.js';

/** `progress` sends an interim report to the requesting client (throttled by the server). */
export type ControlHandler = (request: ControlRequest, progress: (done: number, total: number) => void) => Promise<ControlResponse>;

/** At most this often a progress line goes out (the last one always does). */
const PROGRESS_INTERVAL_MS = 250;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

export class ControlSocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`control socket ${path} is in use by another running tandem (give another --control PATH)`);
    this.name = 'ControlSocketInUseError';
  }
}

export async function startControlServer(path: string, handle: ControlHandler): Promise<ControlServer> {
  await mkdir(dirname(path), { recursive: true });
  await removeStaleSocket(path);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, handle);
  });
  // The umask covers the window between bind and chmod: the socket is never group/world-accessible.
  const previousUmask = process.umask(0o177);
  try {
    await listen(server, path);
  } finally {
    process.umask(previousUmask);
  }
  await chmod(path, 0o600);
  return {
    path,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}

function serveConnection(socket: Socket, handle: ControlHandler): void {
  const splitter = new LineSplitter();
  // Requests are answered strictly in order, one at a time.
  let queue: Promise<void> = Promise.resolve();
  socket.on('error', () => socket.destroy());
  // Set once a line is refused: the connection is ending, and a client that keeps writing
  // (half-open) must not get the rest of that line, or anything after it, run as a request.
  let refused = false;
  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (e) {
      refused = true;
      socket.end(encodeLine({ ok: false, code: 'bad-request', error: (e as Error).message }));
      return;
    }
    for (const line of lines) {
      if (line.trim() === '') continue;
      queue = queue.then(async () => {
        let lastProgress = 0;
        const progress = (done: number, total: number): void => {
          const now = performance.now();
          if (socket.destroyed || (done < total && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
          lastProgress = now;
          socket.write(encodeLine({ progress: { done, total } }));
        };
        const response = await answer(line, handle, progress);
        if (!socket.destroyed) socket.write(encodeLine(response));
      });
    }
  });
}

async function answer(line: string, handle: ControlHandler, progress: (done: number, total: number) => void): Promise<ControlResponse> {
  let request: ControlRequest;
  try {
    request = parseControlRequest(line);
  } catch (e) {
    if (e instanceof ControlProtocolError) return { ok: false, code: 'bad-request', error: e.message };
    throw e;
  }
  try {
    return await handle(request, progress);
  } catch (e) {
    return { ok: false, code: 'failed', error: (e as Error).message };
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A socket file nobody answers on is left over from a crash: remove it. */
async function removeStaleSocket(path: string): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new ControlSocketInUseError(path);
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
