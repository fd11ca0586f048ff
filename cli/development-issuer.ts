/** Local mode's issuer, as `npx jitgate` commands that mint development tokens need it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../shared/config/config';
import { parseJsonText } from '../shared/config/json-text';
import { ConfigError } from '../shared/domain/errors';
import type { CliIo } from './command';

/** The issuer with `development: true` in the project's config, on $PORT when set (as `npm start` serves it). */
export function developmentIssuer(io: Pick<CliIo, 'cwd' | 'env'>): string {
  const file = path.resolve(io.cwd, io.env.JITGATE_CONFIG || 'jitgate.config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `no config at ${file}; run from the project directory or set JITGATE_CONFIG`
        : `cannot read ${file}: ${(err as Error).message}`,
    );
  }
  const config = parseConfig(parseJsonText(text, file), path.basename(file), { mode: 'local' });
  const dev = Object.values(config.issuers).find((i) => i.development);
  if (!dev)
    throw new ConfigError(`${path.basename(file)} has no issuer with "development": true; local mode's IdP signs only for that issuer`);
  const port = io.env.PORT;
  if (!port) return dev.issuer;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new ConfigError(`PORT must be a port number (got "${port}")`);
  const url = new URL(dev.issuer);
  // Replace the origin as text: URL#href would add a trailing slash to a bare origin, and `iss` must match exactly.
  return dev.issuer.replace(url.origin, `${url.protocol}//${url.hostname}:${port}`);
}
