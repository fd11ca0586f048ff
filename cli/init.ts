/**
 * `npx jitgate init`: writes a starter `jitgate.config.json` for a real deployment
 * from flags: one issuer (a preset or the full form), the approver groups and one
 * example policy. The file is checked with the same `parseConfig` that `cdk synth`
 * runs (deploy mode: https only) before anything is written, and an existing file is
 * kept unless `--force` says otherwise.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../shared/config/config';
import { locateConfig } from '../shared/config/config-file';
import { PRESETS } from '../shared/config/issuer-config';
import { EXIT, parseOptions, UsageError, type CliIo, type Command } from './command';

const REPO_ROOT = path.resolve(__dirname, '..');
const SCHEMA_FILE = path.join(REPO_ROOT, 'jitgate.schema.json');

export const initCommand: Command = {
  summary: 'write a starter jitgate.config.json for a deployment, from flags',
  help: `Usage: jitgate init --issuer-preset <${PRESETS.join('|')}> <its identifiers> --approver <group>=<sub>:<email> [options]
       jitgate init --issuer-url <url> --audience <aud> --approver <group>=<sub>:<email> [options]

Writes a config with one trusted issuer, your approver groups and one example policy
(\`prod:deploy\`, approved by one member of the first group, a grant used once within
10 minutes), checked as \`cdk synth\` checks it before the file is written.

Issuer (a preset, or --issuer-url for any OIDC issuer):
  --issuer-preset <name>     ${PRESETS.join(', ')}
  --issuer-name <name>       its name in the config (default: the preset, or "idp")
  cognito:  --user-pool-id <id> --client-id <id>   (--client-id repeatable; --token-use id|access, default id)
  okta:     --domain <host> --audience <aud> [--authorization-server <id>]   (default "default")
  entra:    --tenant-id <guid> --audience <aud>
  auth0:    --domain <host> --audience <aud> [--namespace <url prefix>]
  full:     --issuer-url <url> --audience <aud>  (https; the JWKS comes from its discovery document)
  --token-use <id|access>    which token your apps send (each preset has its default)

Approvers (repeat for more; at least one):
  --approver <group>=<sub>:<email>[,<sub>:<email>]...
                             the group's members: their "sub" at the issuer and the email
                             jitgate notifies, e.g. --approver security-admins=00u1abc:bob@example.com

Options:
  --config <file>            where to write (default $JITGATE_CONFIG or ./jitgate.config.json)
  --force                    replace an existing file
  --print                    print the config to stdout instead of writing it

Exit status: 0 written, 1 the file exists (without --force) or could not be written,
2 a usage error (a missing or bad flag, or a config that would not validate).
`,
  run: runInit,
};

async function runInit(args: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      'issuer-preset': { type: 'string' },
      'issuer-name': { type: 'string' },
      'issuer-url': { type: 'string' },
      audience: { type: 'string', multiple: true },
      'token-use': { type: 'string' },
      'user-pool-id': { type: 'string' },
      'client-id': { type: 'string', multiple: true },
      domain: { type: 'string' },
      'authorization-server': { type: 'string' },
      'tenant-id': { type: 'string' },
      namespace: { type: 'string' },
      approver: { type: 'string', multiple: true },
      config: { type: 'string' },
      force: { type: 'boolean' },
      print: { type: 'boolean' },
    },
  });
  const v = parsed.values;
  const issuerName = v['issuer-name'] ?? v['issuer-preset'] ?? 'idp';
  if (!/^[a-z0-9-]+$/.test(issuerName)) throw new UsageError(`--issuer-name is lower-case letters, digits and - (got "${issuerName}")`);
  const issuer = issuerEntry(v);
  const approverGroups = approverOptions(v.approver ?? [], issuerName);
  const firstGroup = Object.keys(approverGroups)[0] as string;
  const file = locateConfig({ cwd: io.cwd, env: io.env, flag: v.config as string | undefined, demo: false }).file;
  const schemaRef = path.relative(path.dirname(file), SCHEMA_FILE).split(path.sep).join('/');

  const config = {
    $schema: schemaRef.startsWith('.') ? schemaRef : `./${schemaRef}`,
    issuers: { [issuerName]: issuer },
    approverGroups,
    adminGroups: [firstGroup],
    policies: [
      {
        action: 'prod:deploy',
        description: 'An example: one approver, then a grant used once. Edit it, and add a policy for each sensitive action.',
        approvals: { groups: { [firstGroup]: 1 }, window: '1h' },
        grant: { mode: 'once', useWithin: '10m' },
        justification: { required: true, minLength: 10 },
      },
    ],
  };
  try {
    parseConfig(config, path.basename(file), { mode: 'deploy' });
  } catch (err) {
    // Every value came from a flag, so an invalid config is a mistake in the flags.
    throw new UsageError((err as Error).message);
  }
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (v.print) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  if (existsSync(file) && !v.force) {
    io.stderr.write(`jitgate init: ${file} exists; keep it, or pass --force to replace it (or --config <file> to write elsewhere)\n`);
    return EXIT.failed;
  }
  writeFileSync(file, text);
  io.stdout.write(`${file}\n`);
  // `cdk deploy` reads the repository's jitgate.config.json unless JITGATE_CONFIG names another.
  const configEnv = file === path.join(REPO_ROOT, 'jitgate.config.json') ? '' : `JITGATE_CONFIG=${file} `;
  io.stderr.write(
    [
      `Wrote ${file}. Next:`,
      '  1. Replace the example policy with your sensitive actions; check one with',
      `     ${configEnv}npx jitgate explain --user '{"sub":"<sub>","groups":["<group>"]}' --action <action>`,
      `  2. Deploy, from ${REPO_ROOT}: ${configEnv}npx cdk deploy (docs/deploy.md)`,
      '  3. Have each approver confirm their SNS email subscription: npx jitgate subscriptions',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

type Values = Record<string, string | string[] | boolean | undefined>;

function str(v: Values, name: string): string | undefined {
  return v[name] as string | undefined;
}

function need(v: Values, name: string, why: string): string {
  const value = str(v, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is needed ${why}`);
  return value;
}

function needList(v: Values, name: string, why: string): string[] {
  const value = v[name] as string[] | undefined;
  if (!value?.length) throw new UsageError(`--${name} is needed ${why}`);
  return value;
}

/** Flags that belong to one form only: naming one for another form is a mistake worth saying. */
const ONLY_FOR: Record<string, string> = {
  'issuer-url': 'the full form (no --issuer-preset)',
  'user-pool-id': 'cognito',
  'client-id': 'cognito',
  domain: 'okta and auth0',
  'authorization-server': 'okta',
  'tenant-id': 'entra',
  namespace: 'auth0',
  audience: 'okta, entra, auth0 and the full form',
};

function issuerEntry(v: Values): Record<string, unknown> {
  const preset = str(v, 'issuer-preset');
  if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset))
    throw new UsageError(`--issuer-preset is one of ${PRESETS.join(', ')} (got "${preset}"); for any other IdP give --issuer-url`);
  if (preset === undefined && str(v, 'issuer-url') === undefined)
    throw new UsageError(`name the issuer: --issuer-preset <${PRESETS.join('|')}>, or --issuer-url <url> for any OIDC issuer`);
  const form = preset ?? 'full';
  const used: Record<string, string[]> = {
    full: ['issuer-url', 'audience'],
    cognito: ['user-pool-id', 'client-id'],
    okta: ['domain', 'audience', 'authorization-server'],
    entra: ['tenant-id', 'audience'],
    auth0: ['domain', 'audience', 'namespace'],
  };
  for (const flag of Object.keys(ONLY_FOR)) {
    if (v[flag] !== undefined && !used[form]?.includes(flag))
      throw new UsageError(`--${flag} is for ${ONLY_FOR[flag]}, not ${preset ? `the ${preset} preset` : 'the full form'}`);
  }
  const tokenUse = str(v, 'token-use');
  if (tokenUse !== undefined && tokenUse !== 'id' && tokenUse !== 'access')
    throw new UsageError(`--token-use is id or access (got "${tokenUse}")`);
  const common = tokenUse ? { tokenUse } : {};
  const why = (p: string) => `for ${p}`;
  switch (form) {
    case 'cognito':
      return {
        preset,
        userPoolId: need(v, 'user-pool-id', why('cognito')),
        clientId: needList(v, 'client-id', why('cognito')),
        ...common,
      };
    case 'okta':
      return {
        preset,
        domain: need(v, 'domain', why('okta')),
        ...(str(v, 'authorization-server') ? { authorizationServer: str(v, 'authorization-server') } : {}),
        audience: needList(v, 'audience', why('okta')),
        ...common,
      };
    case 'entra':
      return { preset, tenantId: need(v, 'tenant-id', why('entra')), audience: needList(v, 'audience', why('entra')), ...common };
    case 'auth0':
      return {
        preset,
        domain: need(v, 'domain', why('auth0')),
        audience: needList(v, 'audience', why('auth0')),
        ...(str(v, 'namespace') ? { namespace: str(v, 'namespace') } : {}),
        ...common,
      };
    default:
      return { issuer: need(v, 'issuer-url', 'for the full form'), audience: needList(v, 'audience', 'for the full form'), ...common };
  }
}

/** `--approver group=sub:email[,sub:email]...`, repeatable; a group named twice gets both lists. */
function approverOptions(options: string[], issuer: string): Record<string, { members: { issuer: string; sub: string; email: string }[] }> {
  if (options.length === 0) throw new UsageError('name at least one approver: --approver security-admins=<sub>:<email>');
  const groups: Record<string, { members: { issuer: string; sub: string; email: string }[] }> = {};
  for (const option of options) {
    const eq = option.indexOf('=');
    const group = option.slice(0, eq).trim();
    if (eq <= 0 || group === '__proto__' || group === 'constructor' || group === 'prototype')
      throw new UsageError(
        `--approver takes <group>=<sub>:<email>, such as --approver security-admins=00u1abc:bob@example.com (got "${option}")`,
      );
    const members = option
      .slice(eq + 1)
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (members.length === 0) throw new UsageError(`--approver ${group}: list its members as <sub>:<email>`);
    groups[group] ??= { members: [] };
    for (const member of members) {
      // An email has no ":", a sub may: the email is after the last one.
      const colon = member.lastIndexOf(':');
      if (colon <= 0 || colon === member.length - 1)
        throw new UsageError(
          `--approver ${group}: "${member}" is not <sub>:<email>; the sub is the approver's "sub" claim at the issuer, ` +
            'the email where jitgate notifies them',
        );
      groups[group].members.push({ issuer, sub: member.slice(0, colon), email: member.slice(colon + 1) });
    }
  }
  return groups;
}
