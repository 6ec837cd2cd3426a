/**
 * The control API's Unix socket: mode 0600 (only the serving user may steer replication),
 * JSON lines, requests on one connection answered in order. A stale socket file left by a
 * crashed server is replaced; a live one, or anything that is not a socket, is refused.
 */
import { chmod, link, lstat, mkdir, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ControlProtocolError, LineSplitter, MAX_SOCKET_PATH_BYTES, encodeLine, parseControlRequest, type ControlRequest, type ControlResponse } from './protocol.js';

/** `progress` sends an interim report to the requesting client (throttled by the server). */
export type ControlHandler = (request: ControlRequest, progress: (done: number, total: number) => void) => Promise<ControlResponse>;

/** At most this often a progress line goes out (the last one always does). */
const PROGRESS_INTERVAL_MS = 250;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** The control path holds something this server may not replace: the user gives another --control PATH. */
export class ControlPathTakenError extends Error {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`control socket ${path} is ${what} (give another --control PATH)`);
    this.name = 'ControlPathTakenError';
  }
}

export class ControlSocketInUseError extends ControlPathTakenError {
  constructor(path: string) {
    super(path, 'in use by another running tandem');
    this.name = 'ControlSocketInUseError';
  }
}

export async function startControlServer(path: string, handle: ControlHandler): Promise<ControlServer> {
  await mkdir(dirname(path), { recursive: true });
  await removeStaleSocket(path);
  const sockets = new Set<Socket>();
  // Half-open: a client that ends its side after its request (`socat`, `nc -N`) still gets the answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, handle);
  });
  // Bound under a temporary name, then linked into place: libuv unlinks the bound name when
  // the server closes, whatever holds it by then; close() removes `path` only if still ours.
  const bindPath = temporaryName(path);
  if (bindPath !== path) await removeStaleSocket(bindPath);
  // The umask covers the window between bind and chmod: the socket is never group/world-accessible.
  const previousUmask = process.umask(0o177);
  try {
    await listen(server, bindPath);
  } finally {
    process.umask(previousUmask);
  }
  try {
    await chmod(bindPath, 0o600);
    // link, unlike rename, never replaces what may have appeared at the path meanwhile.
    if (bindPath !== path) await link(bindPath, path);
  } catch (e) {
    server.close();
    throw (e as NodeJS.ErrnoException).code === 'EEXIST' ? new ControlPathTakenError(path, 'taken by another process meanwhile') : e;
  } finally {
    if (bindPath !== path) await unlink(bindPath).catch(() => undefined);
  }
  const own = await lstat(path);
  return {
    path,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Only the socket this server bound: the path may since name another server's, or a file.
      const now = await lstat(path).catch(() => undefined);
      if (now?.isSocket() && now.ino === own.ino && now.dev === own.dev) await unlink(path).catch(() => undefined);
    },
  };
}

function serveConnection(socket: Socket, handle: ControlHandler): void {
  const splitter = new LineSplitter();
  // Requests are answered strictly in order, one at a time. Reading stops while any wait
  // (or their answers wait unread): a client that never reads holds one read's lines and one
  // answer beyond the socket's buffer, not an answer to everything it sent.
  const waiting: string[] = [];
  let running = false;
  let ended = false;
  socket.on('error', () => socket.destroy());
  // Set once a line is refused: the connection is ending, and a client that keeps writing
  // (half-open) must not get the rest of that line, or anything after it, run as a request.
  let refused = false;
  const next = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (waiting.length > 0) {
      if (socket.writableNeedDrain) await drained(socket);
      if (!socket.writable) break;
      const line = waiting.shift()!;
      let lastProgress = 0;
      const progress = (done: number, total: number): void => {
        const now = performance.now();
        if (!socket.writable || (done < total && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
        lastProgress = now;
        socket.write(encodeLine({ progress: { done, total } }));
      };
      const response = await answer(line, handle, progress);
      if (socket.writable) socket.write(encodeLine(response));
    }
    running = false;
    if (!socket.writable) return;
    // The client's side ended: every request it sent is answered now, so end ours.
    if (ended) socket.end();
    else socket.resume();
  };
  socket.on('end', () => {
    ended = true;
    if (!running && socket.writable) socket.end();
  });
  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (e) {
      refused = true;
      waiting.length = 0;
      // Still read, to see the client's end and close.
      socket.resume();
      socket.end(encodeLine({ ok: false, code: 'bad-request', error: (e as Error).message }));
      return;
    }
    for (const line of lines) if (line.trim() !== '') waiting.push(line);
    if (waiting.length === 0) return;
    socket.pause();
    void next();
  });
}

/** A name beside `path` for the bind, or `path` itself where that name would not fit a socket address. */
let bindsStarted = 0;
function temporaryName(path: string): string {
  // Per bind, not only per process: servers of one process may start together in one directory.
  const name = join(dirname(path), `.tandem.${process.pid}.${++bindsStarted}`);
  return Buffer.byteLength(name) <= MAX_SOCKET_PATH_BYTES ? name : path;
}

/** Resolves once the socket's written data drained, or it closed. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
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

/**
 * A socket file nobody answers on is left over from a crash: remove it. Nothing else at the
 * path is touched: a regular file there is someone's data (a mistyped --control, a LUN image).
 */
async function removeStaleSocket(path: string): Promise<void> {
  const found = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (found === undefined) return;
  if (!found.isSocket()) throw new ControlPathTakenError(path, `${kindOf(found)}, not a socket: not replaced`);
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

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'a device or pipe';
}
