import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../common/paths';

/** Port of every host agent on its host's address. */
export const AGENT_PORT = 7900;
/** Consul's HTTP API on every host's address. */
export const CONSUL_HTTP_PORT = 8500;

export interface LabHost {
  name: string;
  namespace: string;
  address: string;
  consul: 'server' | 'client';
  /** host:port of this host's own Consul agent (what every process on the host uses). */
  consulHttp: string;
  /** host:port of this host's agent (common/lab/hostAgentProtocol.ts). */
  agent: string;
}

/** The lab's description, written to <run dir>/lab.json for the CLI, tests and scripts. */
export interface LabLayout {
  name: string;
  prefix: string;
  subnet: string;
  createdAt: string;
  runDir: string;
  bridgeNamespace: string;
  /** The machine's end of the lab network (.1), on the veth `machineLink`. */
  machineAddress: string;
  machineLink: string;
  hosts: LabHost[];
  controlPlanes: { id: string; host: string; address: string }[];
  monitor?: { url: string };
  /** The cluster config the lab wrote (placement: lab, host pins). */
  clusterConfig: string;
  cluster: string;
  /** What the lab started itself (Consul agents, host agents, control planes, dashboard). */
  pids: Record<string, number>;
}

/** Prefixes are short: veth names are <prefix>h<N>a and Linux allows 15 characters. */
const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix))
    throw new Error(`lab name "${prefix}" must be 1-8 lowercase letters and digits, starting with a letter (it prefixes interface names)`);
  return prefix;
}

export function defaultLabRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SHOAL_LAB_DIR ?? join(REPO_ROOT, '.run', 'lab'));
}

export function hostName(i: number): string {
  return `h${i + 1}`;
}

export function hostNamespace(prefix: string, host: string): string {
  return `${prefix}-${host}`;
}

export function bridgeNamespace(prefix: string): string {
  return `${prefix}-br`;
}

/** The two ends of a host's veth: `a` in the host's namespace, `b` on the bridge. */
export function hostLinks(prefix: string, host: string): { hostEnd: string; bridgeEnd: string } {
  return { hostEnd: `${prefix}${host}a`, bridgeEnd: `${prefix}${host}b` };
}

/** The machine's veth into the bridge namespace: `a` here, `b` on the bridge. */
export function machineLinks(prefix: string): { hostEnd: string; bridgeEnd: string } {
  return { hostEnd: `${prefix}m0a`, bridgeEnd: `${prefix}m0b` };
}

/** "10.77.0.0/24" → "10.77.0"; only /24s (hosts .11 …, the machine .1). */
export function subnetBase(subnet: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`--subnet must be a /24 like 10.77.0.0/24 (got "${subnet}")`);
  const [a, b] = [Number(m[1]), Number(m[2])];
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168);
  if (!isPrivate) throw new Error(`--subnet must be a private range (10/8, 172.16/12, 192.168/16): the lab never uses addresses others own (got "${subnet}")`);
  return `${m[1]}.${m[2]}.${m[3]}`;
}

export function hostAddress(subnet: string, i: number): string {
  return `${subnetBase(subnet)}.${11 + i}`;
}

/**
 * Consul servers sit on the last three hosts, so isolating h1 (where the lab pins the primary)
 * does not also take a Consul server away (docs/lab.md).
 */
export function consulRole(i: number, hosts: number): 'server' | 'client' {
  return i >= hosts - 3 ? 'server' : 'client';
}

export function layoutFile(runDir: string): string {
  return join(runDir, 'lab.json');
}

export function readLayout(runDir: string): LabLayout | undefined {
  const file = layoutFile(runDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabLayout;
}

export function writeLayout(layout: LabLayout): void {
  mkdirSync(layout.runDir, { recursive: true });
  writeFileSync(layoutFile(layout.runDir), JSON.stringify(layout, null, 2) + '\n');
}

export function findHost(layout: LabLayout, name: string): LabHost {
  const host = layout.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host "${name}" in lab "${layout.name}" (hosts: ${layout.hosts.map((h) => h.name).join(', ')})`);
  return host;
}

export function consulServers(layout: LabLayout): LabHost[] {
  return layout.hosts.filter((h) => h.consul === 'server');
}

export function hostDir(layout: LabLayout, host: string): string {
  return join(layout.runDir, host);
}
