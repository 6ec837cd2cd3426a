/**
 * `tandem serve --metrics HOST:PORT`: GET /metrics answers the Prometheus text exposition
 * of a fresh snapshot; anything else is 404 (405 for other methods on /metrics).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSnapshot } from '../metrics.js';
import { hostAndPort } from '../../util/host-port.js';

export interface MetricsEndpoint {
  /** host:port actually bound (port 0 → the ephemeral port). */
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(host: string, port: number, snapshot: () => MetricsSnapshot | Promise<MetricsSnapshot>): Promise<MetricsEndpoint> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void answer(req.method, req.url, res));
  const answer = async (method: string | undefined, url: string | undefined, res: ServerResponse): Promise<void> => {
    const path = (url ?? '').split('?', 1)[0];
    if (path !== '/metrics') return plain(res, 404, 'not found: the metrics are at /metrics\n');
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed\n');
    }
    let body: string;
    try {
      body = renderMetrics(await snapshot());
    } catch (e) {
      return plain(res, 500, `metrics unavailable: ${(e as Error).message}\n`);
    }
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(method === 'HEAD' ? undefined : body);
  };
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: hostAndPort(a.address, a.port),
    async close() {
      // Scrapers keep connections alive: end them so close() does not wait for their timeout.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function plain(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
