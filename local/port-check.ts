/**
 * Local mode listens on its port only after DynamoDB Local, the synthesized template and
 * the functions are up: seconds later, and then an EADDRINUSE left a JVM and a half-started
 * process behind. The port is tried first, so a second `npm start` says so at once.
 */
import { createServer } from 'node:net';
import { ConfigError } from '../shared/domain/errors';

export class PortInUse extends ConfigError {
  constructor(readonly port: number) {
    super(
      `port ${port} is already in use (another jitgate local mode, or another program); ` +
        `stop it, or choose another port: PORT=${port === 65535 ? port - 1 : port + 1} npm start`,
    );
    this.name = 'PortInUse';
  }
}

/** Resolves when `port` on `host` can be listened on (and is free again); PortInUse when taken. */
export function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUse(port) : err));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
