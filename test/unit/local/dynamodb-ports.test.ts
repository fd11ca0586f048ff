/** local/dynamodb-local/ports.ts: free ports for listeners, outside the range client sockets are given. */
import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { freePort, LISTENER_PORTS, portIsFree } from '../../../local/dynamodb-local/ports';

test('freePort picks a free port below the ephemeral range', async () => {
  // Linux says where its range starts; elsewhere (macOS, Windows) it starts at 49152.
  const range = '/proc/sys/net/ipv4/ip_local_port_range';
  const ephemeralFrom = existsSync(range) ? Number(readFileSync(range, 'utf8').trim().split(/\s+/)[0]) : 49_152;
  expect(LISTENER_PORTS.to).toBeLessThan(ephemeralFrom);
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(LISTENER_PORTS.from);
    expect(port).toBeLessThanOrEqual(LISTENER_PORTS.to);
    expect(await portIsFree(port)).toBe(true);
  }
});

test('portIsFree tells a port in use from a free one', async () => {
  const port = await freePort();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    expect(await portIsFree(port)).toBe(false);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  expect(await portIsFree(port)).toBe(true);
});
