/**
 * A TCP proxy a test owns, to make a real server "unreachable" without touching it: `refuse()`
 * destroys every proxied connection and closes the listener (new connections get ECONNREFUSED);
 * `accept()` listens again on the same port.
 */
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections made through the proxy so far. */
  connections: number;
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(port: number, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const proxy: TcpProxy = {
    port,
    connections: 0,
    async accept() {
      if (server) return;
      const s = net.createServer((client) => {
        proxy.connections++;
        const upstream = net.connect(target);
        sockets.add(client);
        sockets.add(upstream);
        const done = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const sock of [client, upstream]) {
          sock.on("error", done);
          sock.on("close", done);
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, "127.0.0.1", () => resolve());
      });
      server = s;
    },
    async refuse() {
      const s = server;
      server = null;
      for (const sock of sockets) sock.destroy();
      sockets.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => proxy.refuse(),
  };
  await proxy.accept();
  return proxy;
}
