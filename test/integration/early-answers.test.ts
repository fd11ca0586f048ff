/**
 * Answers that arrive before the state machine has parked the task token they answer.
 * Whoever comes second completes the task: the API when the token is already there,
 * otherwise the MfaChallenge / AwaitApproval function as it parks the token. On AWS that
 * function then calls SendTaskSuccess itself, which its role must allow: here every call
 * is checked against the template's IAM policies (local mode runs each function with its
 * own role's key), so a missing grant fails these tests as it would fail on AWS.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lambdaEntries } from '../../local/cfn';
import { startLocal, type LocalJitgate } from '../../local/server';
import { devPerson } from '../support/principals';
import type { Deps } from '../../shared/runtime';
import { currentCode } from '../../shared/domain/totp';
import { decide } from '../../shared/usecases/decisions';
import { answerMfa, confirmTotp, enrolTotp } from '../../shared/usecases/mfa';
import { createRequest } from '../../shared/usecases/requests';
import { depsOf } from '../support/in-process';
import { freePort, tempDir } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';
import { waitFor } from '../support/wait';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

let local: LocalJitgate;
let deps: Deps;
const denials: string[] = [];

beforeAll(async () => {
  const dataDir = tempDir('jitgate-early-');
  const demo = require(DEMO_CONFIG_FILE) as { policies: unknown[] };
  const configPath = path.join(dataDir, 'jitgate.early.config.json');
  const remindFast = {
    action: 'it:remind-then-approve',
    approvals: { groups: { 'security-admins': 1 }, window: '30s', remindAfter: '1s' },
    grant: { mode: 'window', maxDuration: '1m' },
  };
  writeFileSync(configPath, JSON.stringify({ ...demo, policies: [...demo.policies, remindFast] }));
  local = await startLocal({
    port: await freePort(),
    dataDir,
    configPath,
    inMemory: true,
    idp: 'keys',
    dynamodb: await sharedDynamoDb(),
    log: (line) => line.includes('ACCESS DENIED') && denials.push(line),
  });
  deps = depsOf(local, 'api');
}, 120_000);

afterAll(async () => {
  await local?.close();
});

const person = (sub: string, claims: Record<string, unknown>) =>
  devPerson(local.config, sub, { auth_time: Math.floor(Date.now() / 1000), ...claims });

function functionOf(entry: string): string {
  const entries = lambdaEntries(local.template);
  return Object.keys(entries).find((id) => entries[id] === `functions/${entry}/index.ts`)!;
}

const statusOf = async (id: string) => (await deps.store.getRequest(id))?.request.status;

test(
  'the MFA answer comes before MfaChallenge has parked its token: ' + 'the function completes the task, and the request activates',
  async () => {
    const alice = person('alice-early-mfa', { groups: ['engineering'] });
    const bob = person('bob-early-mfa', { groups: ['security-admins'] });
    const { secret } = await enrolTotp(deps, alice);
    await confirmTotp(deps, alice, currentCode(secret, new Date()));

    const release = local.lambda.hold(functionOf('mfa-challenge'));
    let id: string;
    try {
      ({
        request: { id },
      } = await createRequest(
        deps,
        alice,
        { action: 'projects:delete', resource: 'projects/early', justification: 'cleanup of the early project' },
        { linkBase: `${local.url}/approve/` },
      ));
      // The code of the next time step: the one enrolment confirmed is spent.
      await answerMfa(deps, alice, id, currentCode(secret, new Date(Date.now() + 30_000)));
      expect((await deps.store.getRequest(id))?.tokens.mfaTaskToken).toBeUndefined();
    } finally {
      release();
    }
    await waitFor(
      () => statusOf(id),
      (s) => s === 'pending_approval',
    );
    await waitFor(
      () => deps.store.getRequest(id),
      (s) => s?.tokens.approvalTaskToken !== undefined,
    );
    await decide(deps, { person: bob, groups: bob.groups, via: 'api' }, id, 'approve', 'fine');
    expect(
      await waitFor(
        () => statusOf(id),
        (s) => s === 'active',
      ),
    ).toBe('active');
    expect(denials).toEqual([]);
  },
);

test(
  'the approval completes the quorum between two reminder segments: ' + 'the next segment completes the task, and the request activates',
  async () => {
    const alice = person('alice-early-quorum', { groups: ['engineering'] });
    const bob = person('bob-early-quorum', { groups: ['security-admins'] });
    const { request } = await createRequest(
      deps,
      alice,
      { action: 'it:remind-then-approve', resource: 'vault/early', durationSeconds: 60 },
      { linkBase: `${local.url}/approve/` },
    );
    const first = await waitFor(
      () => deps.store.getRequest(request.id),
      (s) => s?.tokens.approvalTaskToken !== undefined,
    );

    // The first segment times out after 1 s; Remind and the next segment's park wait here.
    const release = local.lambda.hold(functionOf('await-approval'));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await decide(deps, { person: bob, groups: bob.groups, via: 'api' }, request.id, 'approve', 'fine');
      expect(await statusOf(request.id)).toBe('pending_approval');
    } finally {
      release();
    }
    await waitFor(
      () => deps.store.getRequest(request.id),
      (s) => s?.tokens.approvalTaskToken !== first?.tokens.approvalTaskToken || s?.request.status === 'active',
    );
    expect(
      await waitFor(
        () => statusOf(request.id),
        (s) => s === 'active',
      ),
    ).toBe('active');
    expect(denials).toEqual([]);
  },
);
