/**
 * `Ref` and `Fn::GetAtt` read from the raw template: the router wants the logical ids they
 * point at, not resolved values.
 */

export interface CfnTemplate {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

export function isGetAtt(v: unknown, attr?: string): v is { 'Fn::GetAtt': [string, string] } {
  const g = (v as { 'Fn::GetAtt'?: unknown })?.['Fn::GetAtt'];
  const parts = typeof g === 'string' ? g.split('.') : g;
  return Array.isArray(parts) && parts.length === 2 && (attr === undefined || parts[1] === attr);
}
export const getAttTarget = (v: { 'Fn::GetAtt': unknown }): string => {
  const g = v['Fn::GetAtt'];
  return (typeof g === 'string' ? g.split('.') : (g as string[]))[0]!;
};
export const refOf = (v: unknown): string | undefined => {
  const r = (v as { Ref?: unknown })?.Ref;
  return typeof r === 'string' ? r : undefined;
};
