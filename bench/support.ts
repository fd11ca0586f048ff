/**
 * Local mode for the benchmarks: started in-process (no HTTP between the bench and the
 * Step Functions / SNS stand-ins), DynamoDB Local in memory, the keys-only IdP, and the
 * demo config plus one policy whose single request goes through every step:
 * `bench:full` = TOTP MFA, one approval from security-admins, a 2-second window grant
 * (so activation, the expiring notice and expiry all happen within seconds).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../local/dynamodb-local';
import { startLocal, type LocalJitgate } from '../local/server';
import { parseConfig, type Config, type ConfigInput } from '../shared/config/config';
import { DEMO_CONFIG_FILE } from '../shared/config/config-file';

export const FULL_ACTION = 'bench:full';

export function benchConfig(): Config {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as ConfigInput;
  return parseConfig(
    {
      ...demo,
      policies: [
        ...(demo.policies ?? []),
        {
          action: FULL_ACTION,
          description: 'bench: a full lifecycle (MFA, one approval, activation, expiring notice, expiry)',
          approvals: { groups: { 'security-admins': 1 }, window: '1h' },
          mfa: 'totp',
          grant: { mode: 'window', maxDuration: '2s' },
        },
      ],
    },
    'bench config',
  );
}

export interface BenchLocal {
  local: LocalJitgate;
  api: Api;
  close(): Promise<void>;
}

export async function startBenchLocal(): Promise<BenchLocal> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-bench-'));
  const local = await startLocal({ port: await freePort(), dataDir, inMemory: true, idp: 'keys', config: benchConfig() });
  return {
    local,
    api: new Api(local.url),
    async close() {
      try {
        await local.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface ApiResponse {
  status: number;
  json: any;
  text: string;
  /** Wall time of the call, ns. */
  ns: number;
}

/** A tiny JSON client for local mode's HTTP API. */
export class Api {
  constructor(readonly url: string) {}

  async call(method: string, pathname: string, token?: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${this.url}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const ns = Number(process.hrtime.bigint() - t0);
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, ns };
  }

  /** Like `call`, but throws unless the status is one of `expected`. */
  async expect(expected: number | number[], method: string, pathname: string, token?: string, body?: unknown): Promise<ApiResponse> {
    const res = await this.call(method, pathname, token, body);
    const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
    if (!ok) throw new Error(`${method} ${pathname}: expected ${String(expected)}, got ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }
}
