import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aclPolicyRules } from '../../common/consul/aclPolicy';
import { serviceNameOf } from '../../common/consul/ConsulApi';
import { waitFor } from '../../common/time/waitFor';
import type { LabHost } from '../layout';

/**
 * Where a lab keeps its Consul secrets, in its run dir, each readable by root alone: the
 * bootstrap (master) token that the agents and the lab's own checks use, and the token every
 * shoal process gets (consul.tokenFile of the lab's config), which holds only `shoal
 * consul-policy`'s rules, so the lab proves that policy is enough.
 */
export function labConsulTokenFiles(runDir: string): { master: string; shoal: string } {
  return { master: join(runDir, 'consul-master.token'), shoal: join(runDir, 'consul.token') };
}

/** The master token of a lab's Consul (for what needs more than shoal's policy: agent members, Raft). */
export function labMasterToken(runDir: string): string {
  return readFileSync(labConsulTokenFiles(runDir).master, 'utf8').trim();
}

/** The shoal token of a lab's Consul. */
export function labShoalToken(runDir: string): string {
  return readFileSync(labConsulTokenFiles(runDir).shoal, 'utf8').trim();
}

/**
 * Makes the lab's Consul secrets before anything starts: both tokens (their secrets chosen
 * here; Consul takes a token's SecretID when it is created, so the files exist before Consul
 * does) and the gossip encryption key. @returns the agents' config fields for ACLs and gossip.
 */
export function makeLabConsulSecrets(runDir: string): Record<string, unknown> {
  const files = labConsulTokenFiles(runDir);
  const master = randomUUID();
  writeFileSync(files.master, `${master}\n`, { mode: 0o600 });
  writeFileSync(files.shoal, `${randomUUID()}\n`, { mode: 0o600 });
  return {
    // Serf's gossip between agents, encrypted with a key every agent shares (consul keygen's 32 bytes).
    encrypt: randomBytes(32).toString('base64'),
    acl: { enabled: true, default_policy: 'deny', enable_token_persistence: true, tokens: { master, agent: master } },
  };
}

/**
 * Creates shoal's policy and the shoal token (with the secret makeLabConsulSecrets chose) on a
 * lab server.
 */
export async function createLabShoalToken(server: LabHost, runDir: string, cluster: string): Promise<void> {
  await createPolicyToken(server.consulHttp, labMasterToken(runDir), serviceNameOf(cluster), aclPolicyRules(cluster), labShoalToken(runDir));
}

/**
 * Makes a Consul ACL policy named `name` with `rules` and a token holding it, as an operator
 * would with `consul acl policy create` and `consul acl token create`, through the HTTP API.
 * @param secretId the token's secret; Consul picks one when absent.
 * @returns the token's secret.
 */
export async function createPolicyToken(consulHttp: string, masterToken: string, name: string, rules: string, secretId?: string): Promise<string> {
  /** undefined while Consul's ACL system still runs in legacy mode, as it does for a moment after the first election. */
  const put = async (path: string, body: unknown): Promise<Record<string, unknown> | undefined> => {
    const res = await fetch(`http://${consulHttp}/v1/acl/${path}`, {
      method: 'PUT',
      headers: { 'x-consul-token': masterToken },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (res.ok) return (await res.json()) as Record<string, unknown>;
    const text = await res.text();
    if (/legacy mode/i.test(text)) return undefined;
    throw new Error(`Consul refused PUT /v1/acl/${path}: ${res.status} ${text}`);
  };
  await waitFor('Consul’s ACL system to leave legacy mode', () => put('policy', { Name: name, Rules: rules }), { timeoutMs: 20_000, intervalMs: 200 });
  const token = await put('token', { ...(secretId && { SecretID: secretId }), Description: name, Policies: [{ Name: name }] });
  return token!.SecretID as string;
}
