/**
 * Helpers over a synthesized CloudFormation template (the plain JSON object `cdk synth`
 * writes, or `Template.toJSON()` / `app.synth().getStackByName(...).template`).
 *
 * Local mode reads the state machine definition and the Lambda entry points from the
 * template, so it runs exactly what would be deployed. Intrinsics are resolved to
 * local stand-ins:
 *
 * | reference | local value |
 * | --- | --- |
 * | `Fn::GetAtt [Fn, Arn]` of an `AWS::Lambda::Function` | `arn:aws:lambda:local:000000000000:function:<LogicalId>` |
 * | `Ref` of an `AWS::Lambda::Function` | `<LogicalId>` |
 * | `Ref` of an `AWS::DynamoDB::Table` | the local table name (`tableName` option) |
 * | `Fn::GetAtt [Table, Arn]` | `arn:aws:dynamodb:local:000000000000:table/<table name>` |
 * | `Ref` / `Fn::GetAtt [Topic, TopicArn]` of an `AWS::SNS::Topic` | `arn:aws:sns:local:000000000000:<LogicalId>` |
 * | `Ref` of an `AWS::StepFunctions::StateMachine` | `arn:aws:states:local:000000000000:stateMachine:<LogicalId>` |
 * | `Fn::GetAtt [Key, Arn]` of an `AWS::KMS::Key` (`Ref`: `local-<LogicalId>`) | `arn:aws:kms:local:000000000000:key/local-<LogicalId>` |
 * | `Ref` of an `AWS::SecretsManager::Secret` (its ARN, as on AWS) | `arn:aws:secretsmanager:local:000000000000:secret:<LogicalId>` |
 * | `Fn::GetAtt [LogGroup, Arn]` of an `AWS::Logs::LogGroup` | `arn:aws:logs:local:000000000000:log-group:<LogicalId>:*` |
 * | `AWS::Partition` / `AWS::Region` / `AWS::AccountId` / `AWS::URLSuffix` | `aws` / `local` / `000000000000` / `amazonaws.com` |
 * | anything else | `local-<LogicalId>` |
 *
 * `overrides` wins over all of these: key `<LogicalId>` for `Ref`, `<LogicalId>.<Attribute>` for `Fn::GetAtt`.
 */

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  [other: string]: unknown;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown; [other: string]: unknown }>;
  [other: string]: unknown;
}

/** Resolves the leaves of intrinsic functions. Return `undefined` to say "unknown" (an error is raised). */
export interface IntrinsicResolver {
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
}

export interface LocalRefOptions {
  /**
   * Local name of the DynamoDB table (every `AWS::DynamoDB::Table` Ref resolves to it). Default: the table's
   * `TableName` property, else its logical id.
   */
  tableName?: string;
  /** Explicit values: `<LogicalId>` for `Ref`, `<LogicalId>.<Attribute>` for `Fn::GetAtt`, also pseudo parameters (`AWS::Region`...). */
  overrides?: Record<string, string>;
  /** Region used in local ARNs. Default `local`. */
  region?: string;
  /** Account used in local ARNs. Default `000000000000`. */
  accountId?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every resource of a CloudFormation type (`AWS::Lambda::Function`, ...), in template order. */
export function findResources(template: CfnTemplate, type: string): Array<{ logicalId: string; resource: CfnResource }> {
  const found: Array<{ logicalId: string; resource: CfnResource }> = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource && resource.Type === type) found.push({ logicalId, resource });
  }
  return found;
}

/**
 * Resolves `Fn::Join`, `Ref`, `Fn::GetAtt`, `Fn::Sub` (`${X}`, `${X.Attr}`, `${!Literal}`, with or without a
 * variable map), `Fn::Select` and `Fn::Split` anywhere in `value`. `{ "Ref": "AWS::NoValue" }` removes the
 * property (or array element). Any other `Fn::*` raises an error naming it.
 */
export function resolveIntrinsics(value: unknown, resolver: IntrinsicResolver): unknown {
  const NO_VALUE = Symbol('AWS::NoValue');

  const resolveRef = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const resolved = resolver.ref(name);
    if (resolved === undefined) throw new Error(`cannot resolve { "Ref": "${name}" }`);
    return resolved;
  };
  const resolveGetAtt = (logicalId: string, attribute: string): unknown => {
    const resolved = resolver.getAtt(logicalId, attribute);
    if (resolved === undefined) throw new Error(`cannot resolve { "Fn::GetAtt": ["${logicalId}", "${attribute}"] }`);
    return resolved;
  };
  const asString = (v: unknown, where: string): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new Error(`${where}: expected a string, got ${JSON.stringify(v)}`);
  };

  const sub = (template: string, vars: Record<string, unknown>): string =>
    template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return '${' + inner.slice(1) + '}';
      const name = inner.trim();
      if (Object.hasOwn(vars, name)) return asString(vars[name], `Fn::Sub \${${name}}`);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) {
        return asString(resolveGetAtt(name.slice(0, dot), name.slice(dot + 1)), `Fn::Sub ${whole}`);
      }
      return asString(resolveRef(name), `Fn::Sub ${whole}`);
    });

  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      return v.map(walk).filter((item) => item !== NO_VALUE);
    }
    if (!isObject(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const key = keys[0]!;
      const arg = v[key];
      if (key === 'Ref') return resolveRef(asString(arg, 'Ref'));
      if (key === 'Fn::GetAtt') {
        let logicalId: string;
        let attribute: string;
        if (typeof arg === 'string') {
          const dot = arg.indexOf('.');
          if (dot < 0) throw new Error(`Fn::GetAtt: expected "LogicalId.Attribute", got ${JSON.stringify(arg)}`);
          logicalId = arg.slice(0, dot);
          attribute = arg.slice(dot + 1);
        } else if (Array.isArray(arg) && arg.length === 2) {
          logicalId = asString(walk(arg[0]), 'Fn::GetAtt');
          attribute = asString(walk(arg[1]), 'Fn::GetAtt');
        } else {
          throw new Error(`Fn::GetAtt: unexpected argument ${JSON.stringify(arg)}`);
        }
        return resolveGetAtt(logicalId, attribute);
      }
      if (key === 'Fn::Join') {
        if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`Fn::Join: unexpected argument ${JSON.stringify(arg)}`);
        const separator = asString(walk(arg[0]), 'Fn::Join separator');
        const list = walk(arg[1]);
        if (!Array.isArray(list)) throw new Error('Fn::Join: the second argument must resolve to a list');
        return list.map((item) => asString(item, 'Fn::Join')).join(separator);
      }
      if (key === 'Fn::Sub') {
        if (typeof arg === 'string') return sub(arg, {});
        if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string' && isObject(arg[1])) {
          const vars: Record<string, unknown> = {};
          for (const [name, expr] of Object.entries(arg[1])) vars[name] = walk(expr);
          return sub(arg[0], vars);
        }
        throw new Error(`Fn::Sub: unexpected argument ${JSON.stringify(arg)}`);
      }
      if (key === 'Fn::Select') {
        if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`Fn::Select: unexpected argument ${JSON.stringify(arg)}`);
        const index = Number(walk(arg[0]));
        const list = walk(arg[1]);
        if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
          throw new Error(`Fn::Select: index ${index} out of range`);
        }
        return list[index];
      }
      if (key === 'Fn::Split') {
        if (!Array.isArray(arg) || arg.length !== 2) throw new Error(`Fn::Split: unexpected argument ${JSON.stringify(arg)}`);
        return asString(walk(arg[1]), 'Fn::Split').split(asString(walk(arg[0]), 'Fn::Split delimiter'));
      }
      if (key.startsWith('Fn::')) throw new Error(`${key} is not supported by local mode`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      const resolved = walk(item);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  };

  const result = walk(value);
  return result === NO_VALUE ? undefined : result;
}

/** The resolver local mode uses: local ARNs and names for every resource of `template` (see the table at the top). */
export function localResolver(template: CfnTemplate, options: LocalRefOptions = {}): IntrinsicResolver {
  const region = options.region ?? LOCAL_REGION;
  const account = options.accountId ?? LOCAL_ACCOUNT;
  const overrides = options.overrides ?? {};
  const resources = template.Resources ?? {};
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
    'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/local/local`,
  };
  const tableName = (logicalId: string, resource: CfnResource): string => {
    if (options.tableName !== undefined) return options.tableName;
    const declared = resource.Properties?.['TableName'];
    return typeof declared === 'string' ? declared : logicalId;
  };

  return {
    ref(name) {
      if (Object.hasOwn(overrides, name)) return overrides[name];
      if (Object.hasOwn(pseudo, name)) return pseudo[name];
      const parameter = template.Parameters?.[name];
      if (parameter) return parameter.Default ?? `local-${name}`;
      const resource = resources[name];
      if (!resource) return undefined;
      switch (resource.Type) {
        case 'AWS::Lambda::Function':
          return name;
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable':
          return tableName(name, resource);
        case 'AWS::SNS::Topic':
          return `arn:aws:sns:${region}:${account}:${name}`;
        case 'AWS::StepFunctions::StateMachine':
          return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        case 'AWS::SecretsManager::Secret':
          return `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;
        default:
          return `local-${name}`;
      }
    },
    getAtt(logicalId, attribute) {
      const key = `${logicalId}.${attribute}`;
      if (Object.hasOwn(overrides, key)) return overrides[key];
      const resource = resources[logicalId];
      if (!resource) return undefined;
      switch (resource.Type) {
        case 'AWS::Lambda::Function':
          if (attribute === 'Arn') return `arn:aws:lambda:${region}:${account}:function:${logicalId}`;
          break;
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable':
          if (attribute === 'Arn') return `arn:aws:dynamodb:${region}:${account}:table/${tableName(logicalId, resource)}`;
          if (attribute === 'StreamArn')
            return `arn:aws:dynamodb:${region}:${account}:table/${tableName(logicalId, resource)}/stream/local`;
          break;
        case 'AWS::SNS::Topic':
          if (attribute === 'TopicArn') return `arn:aws:sns:${region}:${account}:${logicalId}`;
          if (attribute === 'TopicName') return logicalId;
          break;
        case 'AWS::StepFunctions::StateMachine':
          if (attribute === 'Arn') return `arn:aws:states:${region}:${account}:stateMachine:${logicalId}`;
          if (attribute === 'Name') return logicalId;
          break;
        case 'AWS::KMS::Key':
          if (attribute === 'Arn') return `arn:aws:kms:${region}:${account}:key/local-${logicalId}`;
          break;
        case 'AWS::Logs::LogGroup':
          if (attribute === 'Arn') return `arn:aws:logs:${region}:${account}:log-group:${logicalId}:*`;
          break;
      }
      return `local-${logicalId}`;
    },
  };
}

/**
 * The definition of the template's single `AWS::StepFunctions::StateMachine`, intrinsics resolved to local
 * ARNs (see {@link localResolver}), `DefinitionSubstitutions` applied, parsed. Throws if there is not
 * exactly one state machine.
 */
export function stateMachineDefinition(template: CfnTemplate, options: LocalRefOptions = {}): Record<string, unknown> {
  return findStateMachine(template, options).definition;
}

/** Like {@link stateMachineDefinition}, with the state machine's logical id. */
export function findStateMachine(
  template: CfnTemplate,
  options: LocalRefOptions = {},
): { logicalId: string; definition: Record<string, unknown> } {
  const machines = findResources(template, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) {
    throw new Error(`expected exactly one AWS::StepFunctions::StateMachine in the template, found ${machines.length}`);
  }
  const { logicalId, resource } = machines[0]!;
  const resolver = localResolver(template, options);
  const properties = resource.Properties ?? {};
  let definition: unknown;
  if (properties['DefinitionString'] !== undefined) {
    const text = resolveIntrinsics(properties['DefinitionString'], resolver);
    if (typeof text !== 'string') throw new Error(`${logicalId}: DefinitionString does not resolve to a string`);
    const substitutions = properties['DefinitionSubstitutions'];
    let substituted = text;
    if (isObject(substitutions)) {
      const values = resolveIntrinsics(substitutions, resolver) as Record<string, unknown>;
      substituted = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
    }
    try {
      definition = JSON.parse(substituted);
    } catch (error) {
      throw new Error(`${logicalId}: DefinitionString is not valid JSON after resolution: ${(error as Error).message}`);
    }
  } else if (isObject(properties['Definition'])) {
    definition = resolveIntrinsics(properties['Definition'], resolver);
  } else {
    throw new Error(`${logicalId}: no DefinitionString or Definition (DefinitionS3Location is not supported locally)`);
  }
  if (!isObject(definition) || typeof definition['StartAt'] !== 'string' || !isObject(definition['States'])) {
    throw new Error(`${logicalId}: the definition has no StartAt/States`);
  }
  return { logicalId, definition };
}

/** Function logical id → `Metadata['jitgate:entry']` (e.g. `functions/end-request/index.ts`), for every function that has it. */
export function lambdaEntries(template: CfnTemplate): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const { logicalId, resource } of findResources(template, 'AWS::Lambda::Function')) {
    const entry = resource.Metadata?.['jitgate:entry'];
    if (typeof entry === 'string') entries[logicalId] = entry;
  }
  return entries;
}
