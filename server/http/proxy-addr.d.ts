/** The part of `proxy-addr` (the package Express's `req.ip` uses) that http/fastRoutes.ts calls. */
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';

  function proxyaddr(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string;
  export default proxyaddr;
}
