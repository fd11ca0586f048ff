/** Local mode's issuer, as `npx jitgate` commands that mint development tokens need it. */
import path from 'node:path';
import { locateConfig, readConfigFile } from '../shared/config/config-file';
import { ConfigError } from '../shared/domain/errors';
import type { CliIo } from './command';

/** The issuer with `development: true` in the project's config, on $PORT when set (as `npm start` serves it). */
export function developmentIssuer(io: Pick<CliIo, 'cwd' | 'env'>): string {
  // As `npm start` chooses: yours, or the demo when the directory has none.
  const location = locateConfig({ cwd: io.cwd, env: io.env, demo: true });
  const config = readConfigFile(location, 'local');
  const dev = Object.values(config.issuers).find((i) => i.development);
  if (!dev)
    throw new ConfigError(
      `${path.basename(location.file)} has no issuer with "development": true; local mode's IdP signs only for that issuer`,
    );
  const port = io.env.PORT;
  if (!port) return dev.issuer;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new ConfigError(`PORT must be a port number (got "${port}")`);
  const url = new URL(dev.issuer);
  // Replace the origin as text: URL#href would add a trailing slash to a bare origin, and `iss` must match exactly.
  return dev.issuer.replace(url.origin, `${url.protocol}//${url.hostname}:${port}`);
}
