/**
 * The demo users of local mode. The development IdP signs
 * them in with one click and `npx jitgate token <user>` prints tokens for them.
 *
 * A claim a user does not have is absent from their tokens, never an empty array:
 * that is what real IdPs do (Okta and Entra ID omit `groups` for a user in none),
 * so policies and the claim mapping see the shape they will meet in production.
 */
export interface DemoUser {
  /** The user name; also the token's `sub`. */
  sub: string;
  name: string;
  email: string;
  groups?: string[];
  roles?: string[];
  employment?: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { sub: 'alice', name: 'Alice', email: 'alice@example.com', groups: ['engineering'], roles: ['editor'] },
  { sub: 'bob', name: 'Bob', email: 'bob@example.com', groups: ['security-admins'], roles: ['admin'] },
  { sub: 'carol', name: 'Carol', email: 'carol@example.com', groups: ['security-admins', 'finance-approvers'] },
  { sub: 'dave', name: 'Dave', email: 'dave@example.com', roles: ['editor'], employment: 'contractor' },
  { sub: 'erin', name: 'Erin', email: 'erin@example.com', roles: ['guest'] },
  { sub: 'audrey', name: 'Audrey', email: 'audrey@example.com', groups: ['auditors'] },
];

export function findDemoUser(users: readonly DemoUser[], name: string): DemoUser | undefined {
  return users.find((u) => u.sub === name);
}

/** The identity claims a token carries for `user` (everything except `sub`); absent claims stay absent. */
export function demoUserClaims(user: DemoUser): Record<string, unknown> {
  const claims: Record<string, unknown> = { email: user.email, email_verified: true, name: user.name };
  if (user.groups) claims.groups = [...user.groups];
  if (user.roles) claims.roles = [...user.roles];
  if (user.employment !== undefined) claims.employment = user.employment;
  return claims;
}

/** One line per user, for error messages and usage text: `alice  groups engineering; roles editor`. */
export function describeDemoUsers(users: readonly DemoUser[]): string {
  const width = Math.max(...users.map((u) => u.sub.length));
  return users
    .map((u) => {
      const parts = [
        u.groups && `groups ${u.groups.join(', ')}`,
        u.roles && `roles ${u.roles.join(', ')}`,
        u.employment && `employment ${u.employment}`,
      ].filter(Boolean);
      return `  ${u.sub.padEnd(width)}  ${parts.join('; ')}`;
    })
    .join('\n');
}
