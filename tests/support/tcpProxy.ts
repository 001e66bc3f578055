/** A loopback TCP proxy a test can cut, to make a real Redis or PostgreSQL "stop" for one app only. */
import net from 'node:net';

export interface TcpProxy {
  url(scheme: string): string;
  /** Refuses new connections and drops open ones, as a stopped server would. */
  cut(): Promise<void>;
  /** Listens again on the same port, as a restarted server would. */
  restore(): Promise<void>;
  /** Stops for good: nothing of the proxy keeps the test process alive. */
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  
  return {
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async restore() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
