/** Free ports for local listeners, probed on loopback. */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Where `freePort` looks: below the ephemeral ranges that operating systems give outgoing connections
 * and `listen(0)` (Linux 32768-60999, macOS and Windows 49152-65535). A port the OS chose for us is
 * free when probed but can be handed to any client socket (an SDK call, a test's fetch) before the
 * listener that asked for it binds: under parallel tests that was `EADDRINUSE` seconds into a start.
 */
export const LISTENER_PORTS = { from: 20_000, to: 32_767 } as const;

/** A port that is free on the loopback address right now (every local listener binds 127.0.0.1 only, and so do these probes). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(LISTENER_PORTS.from, LISTENER_PORTS.to + 1);
    if (await portIsFree(port)) return port;
  }
  return ephemeralPort();
}

/** The OS's choice: only when no port of LISTENER_PORTS was free in a hundred tries. */
function ephemeralPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}
