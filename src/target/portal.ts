/** A listening portal (HOST:PORT, IPv4 or IPv6): accepts TCP connections and hands them to login. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PortalConfig } from './config.js';
import { Connection, type ConnectionContext } from './connection.js';
import type { ConnectionSlots } from './connection-slots.js';

export class Portal {
  private server?: Server;
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly config: PortalConfig,
    private readonly ctx: ConnectionContext,
    /** Shared by every portal of the server: `--max-connections` counts them all. */
    private readonly slots?: ConnectionSlots,
  ) {}

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      // Accepted paused: the connection reads each socket into memory its PDU reader names.
      const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
      server.once('error', reject);
      // Strip brackets an IPv6 literal may carry in configuration.
      const host = this.config.host.replace(/^\[|\]$/g, '');
      server.listen({ host, port: this.config.port }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.ctx.log.error({ err: e.message }, 'portal error'));
        this.server = server;
        resolve(server.address() as AddressInfo);
      });
    });
  }

  private accept(raw: Socket): void {
    const ticket = this.slots?.take();
    if (this.slots && !ticket) {
      raw.destroy();
      return;
    }
    const conn = new Connection(raw, this.ctx, ticket);
    const socket = conn.socket;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      ticket?.leave();
    });
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
  }

  /** Stops listening and drops every connection accepted here. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.connections]) c.drop('portal closing');
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
