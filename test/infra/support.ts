/** Shared by the infra tests: the configs they synthesize and readers over the template. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedTemplate } from '../../local/setup';
import { parseConfig, type Config } from '../../shared/config/config';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** The demo config that ships (one development issuer). */
export function demoConfig(): Config {
  return parseConfig(JSON.parse(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8')));
}

export const CORP_ISSUER = 'https://corp-idp.jitgate.test';

/** The demo config plus a real (https) issuer with one approver, Dana, in both approver groups. */
export function configWithHttpsIssuer(): Config {
  const raw = JSON.parse(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'));
  raw.issuers.corp = { issuer: CORP_ISSUER, audience: ['jitgate-api'], tokenUse: 'access' };
  const dana = { issuer: 'corp', sub: 'dana', email: 'dana@example.com', name: 'Dana' };
  raw.approverGroups['security-admins'].members.push(dana);
  raw.approverGroups['finance-approvers'].members.push(dana);
  raw.approverGroups['ops'] = { members: [{ issuer: 'corp', sub: 'erik', email: 'erik@example.com' }] };
  return parseConfig(raw);
}

export type Template = Record<string, any>;

/**
 * `configWithHttpsIssuer()`'s template without bundling, which most infra files read. It comes from local
 * mode's template cache (local/setup.ts: keyed by every source under infra/ and shared/, the lockfile and the
 * deployed config), so a run synthesizes it once, not once per file; nag.test.ts synthesizes it every run.
 */
export async function httpsIssuerTemplate(): Promise<Template> {
  return cachedTemplate(configWithHttpsIssuer());
}
type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };

export function resourcesOf(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

/** A CloudFormation value with intrinsics flattened to `<Ref:Id>` / `<GetAtt:Id.Attr>` placeholders. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
    if ('Ref' in v) return `<Ref:${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<GetAtt:${v['Fn::GetAtt'].join('.')}>`;
  }
  return JSON.stringify(value);
}

/** The state machine definition, parsed (the DefinitionString is an Fn::Join). */
export function stateMachineDefinition(template: Template): { StartAt: string; States: Record<string, any> } {
  const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  return JSON.parse(flatten(machines[0]![1].Properties.DefinitionString));
}

export interface TemplateMethod {
  logicalId: string;
  path: string;
  httpMethod: string;
  integration: Record<string, any>;
}

/** Every API Gateway method with its full resource path (`/v1/requests/{id}`). */
export function apiMethods(template: Template): TemplateMethod[] {
  const resources = Object.fromEntries(resourcesOf(template, 'AWS::ApiGateway::Resource'));
  const pathOf = (ref: any): string => {
    if (ref && typeof ref === 'object' && 'Fn::GetAtt' in ref) return ''; // the RestApi's RootResourceId
    const id = ref.Ref as string;
    const r = resources[id];
    if (!r) throw new Error(`unknown resource ${id}`);
    return `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}`;
  };
  return resourcesOf(template, 'AWS::ApiGateway::Method').map(([logicalId, m]) => ({
    logicalId,
    path: pathOf(m.Properties.ResourceId) || '/',
    httpMethod: m.Properties.HttpMethod,
    integration: m.Properties.Integration,
  }));
}
