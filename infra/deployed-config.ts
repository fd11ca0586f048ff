/**
 * What of a validated config goes to AWS. Development issuers are served by local
 * mode's own IdP and cannot exist on AWS: they are dropped, together with the approver
 * group members they vouch for, so the deployed config still validates (fail closed:
 * nobody can sign in through an issuer that is not deployed).
 */
import type { Condition, Config, Member, Policy } from '../shared/config/config';
import { groupMembers } from '../shared/domain/identity';

export interface DeployedConfig {
  /** The config inlined into every function bundle. */
  config: Config;
  /** Names of the development issuers that were left out. */
  droppedIssuers: string[];
  /** Approver group members left out with them, as `<group>: <issuer>#<sub>`. */
  droppedMembers: string[];
  /** What makes this config undeployable; the stack reports each as a synth error. */
  errors: string[];
}

/**
 * A condition with the dropped issuers taken out of its `issuers` lists. A test left with
 * none can be true for no token that reaches AWS, so it becomes one that is never true
 * (`sub` is always present), which keeps its meaning and the config valid.
 */
function withoutIssuers(c: Condition, dropped: readonly string[]): Condition {
  if ('all' in c) return { all: c.all.map((d) => withoutIssuers(d, dropped)) };
  if ('any' in c) return { any: c.any.map((d) => withoutIssuers(d, dropped)) };
  if ('not' in c) return { not: withoutIssuers(c.not, dropped) };
  if (!c.issuers) return c;
  const issuers = c.issuers.filter((i) => !dropped.includes(i));
  return issuers.length ? { ...c, issuers } : { claim: 'sub', exists: false };
}

function policyWithoutIssuers(p: Policy, dropped: readonly string[]): Policy {
  const strip = (c: Condition) => withoutIssuers(c, dropped);
  return {
    ...p,
    ...(p.requesters ? { requesters: strip(p.requesters) } : {}),
    deny: p.deny.map((d) => ({ ...d, when: strip(d.when) })),
    ...(typeof p.autoApprove === 'object' ? { autoApprove: strip(p.autoApprove) } : {}),
    ...(p.breakGlass ? { breakGlass: { ...p.breakGlass, who: strip(p.breakGlass.who) } } : {}),
  };
}

export function deployedConfig(config: Config): DeployedConfig {
  const droppedIssuers = Object.entries(config.issuers)
    .filter(([, i]) => i.development)
    .map(([name]) => name);
  const keep = (m: Member) => !droppedIssuers.includes(m.issuer);
  const droppedMembers: string[] = [];
  const approverGroups: Config['approverGroups'] = {};
  for (const [name, group] of Object.entries(config.approverGroups)) {
    for (const m of group.members) if (!keep(m)) droppedMembers.push(`${name}: ${m.issuer}#${m.sub}`);
    approverGroups[name] = { ...group, members: group.members.filter(keep) };
  }
  const { $schema: _schema, approverSignIn, consoleSignIn, ...rest } = config;
  // Approver sign-in through a development issuer cannot work on AWS: the stack turns this
  // into a synth error (local mode, which synthesizes too, keeps its development issuer).
  const signInDropped = approverSignIn !== undefined && droppedIssuers.includes(approverSignIn.issuer);
  const errors: string[] = [];
  if (signInDropped && config.policies.some((p) => p.approverAuth === 'sso')) {
    errors.push(
      `approverSignIn.issuer: "${approverSignIn.issuer}" is a development issuer, which is not deployed; ` +
        'name a real OpenID issuer for approver sign-in, or use "approverAuth": "link"',
    );
  }
  return {
    errors,
    config: {
      ...rest,
      ...(approverSignIn && !signInDropped ? { approverSignIn } : {}),
      // The console through a development issuer is local mode's: on AWS it says sign-in is not configured.
      ...(consoleSignIn && !droppedIssuers.includes(consoleSignIn.issuer) ? { consoleSignIn } : {}),
      issuers: Object.fromEntries(Object.entries(config.issuers).filter(([name]) => !droppedIssuers.includes(name))),
      approverGroups,
      policies: rest.policies.map((p) => policyWithoutIssuers(p, droppedIssuers)),
      // An auditor or admin group trusted from a development issuer only is trusted from none on AWS.
      auditorGroups: rest.auditorGroups.map((g) =>
        typeof g === 'string' ? g : { ...g, trustedIssuers: g.trustedIssuers.filter((i) => !droppedIssuers.includes(i)) },
      ),
      adminGroups: rest.adminGroups.map((g) =>
        typeof g === 'string' ? g : { ...g, trustedIssuers: g.trustedIssuers.filter((i) => !droppedIssuers.includes(i)) },
      ),
    },
    droppedIssuers,
    droppedMembers,
  };
}

export interface Approver {
  /** `<issuer URL>#<sub>`, the value of the `approver` message attribute. */
  principalId: string;
  email: string;
}

/**
 * Every distinct (principal, email) among the approver group members, in config order:
 * those the stack subscribes on AWS, and with `includeDevelopment` also the members of
 * development issuers, whom local mode subscribes the same way.
 */
export function approvers(config: Config, opts: { includeDevelopment?: boolean } = {}): Approver[] {
  const seen = new Map<string, Approver>();
  const development = new Set(
    Object.values(config.issuers)
      .filter((i) => i.development)
      .map((i) => i.issuer),
  );
  for (const group of Object.keys(config.approverGroups)) {
    for (const m of groupMembers(config, group)) {
      if (development.has(m.issuer) && !opts.includeDevelopment) continue;
      const approver = { principalId: m.id, email: m.email };
      seen.set(`${approver.principalId}\u0000${approver.email}`, approver);
    }
  }
  return [...seen.values()];
}
