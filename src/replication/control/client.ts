/** Client side of the control socket: one request, one response, within a timeout. */
import { createConnection } from 'node:net';
import { ControlProtocolError, LineSplitter, encodeLine, parseControlMessage, type ControlRequest, type ControlResponse } from './protocol.js';

export class ControlUnreachableError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ECONNREFUSED' ? 'no tandem serve is listening there' : (cause as Error).message;
    // A server with --role opens its socket by default; a plain target only when started with --control.
    super(`cannot reach the control socket ${path}: ${why} (use --control PATH; a plain target needs serve --control)`, { cause });
    this.name = 'ControlUnreachableError';
  }
}

/** Default long enough for a delta pass of a large dirty set (`tandem replicate`). */
export const DEFAULT_CONTROL_TIMEOUT_MS = 60 * 60 * 1000;

export interface ControlRequestOptions {
  timeoutMs?: number;
  /** Interim reports of a long action (`replicate`). */
  onProgress?: (done: number, total: number) => void;
}

export function controlRequest(path: string, request: ControlRequest, options: ControlRequestOptions = {}): Promise<ControlResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const splitter = new LineSplitter();
    let connected = false;
    let settled = false;
    const finish = (error: Error | undefined, response?: ControlResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    const timer = setTimeout(() => finish(new ControlProtocolError(`no answer on ${path} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      connected = true;
      socket.write(encodeLine(request));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) {
          const message = parseControlMessage(line);
          if ('progress' in message) options.onProgress?.(message.progress.done, message.progress.total);
          else return finish(undefined, message);
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    socket.once('error', (e) => finish(connected ? e : new ControlUnreachableError(path, e)));
    socket.once('close', () => finish(new ControlProtocolError(`control socket ${path} closed without an answer`)));
  });
}
