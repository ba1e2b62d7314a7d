import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConsulApi } from './ConsulApi';
import { freePorts } from '../net/freePort';
import type { CertificateFiles } from '../tls/ReloadingCertificates';

/** A Consul agent in dev mode: a single server that elects itself at once, UI on its HTTP port. */
export interface DevAgentOptions {
  /** Path of the consul binary. */
  binary: string;
  /** HTTP API port on 127.0.0.1; 0 takes a free one (see `DevAgent.httpPort`). */
  httpPort: number;
  /**
   * Use Consul's standard ports for DNS (8600), serf (8301/8302), server RPC (8300) and gRPC
   * (8502), as `consul agent -dev` does. When false, free ports are taken, so agents of tests
   * never collide with one another or with a running cluster.
   */
  standardPorts: boolean;
  /** The agent's data directory (services, checks and state; removed by `shoal down`). */
  dataDir: string;
  /** Where the agent's output goes (appended). */
  logFile: string;
  /** Detach the agent so it outlives this process (`shoal up`). */
  detached?: boolean;
  /**
   * The cluster's nodes require mutual TLS: the agent presents this certificate (the cluster's
   * `consul-agent`) when it runs their gRPC checks (enable_agent_tls_for_checks).
   */
  checkTls?: CertificateFiles;
  /**
   * Consul's ACLs on, default deny, with this as the bootstrap (master) token, which the agent
   * also uses for its own node. Requests need a token then; its readiness check needs none.
   */
  aclMasterToken?: string;
  /** How long to wait for the agent to elect itself leader. @default 20000 */
  startTimeoutMs?: number;
}

export interface DevAgent {
  process: ChildProcess;
  address: string;
  httpPort: number;
  logFile: string;
}

/**
 * Starts a Consul dev agent and resolves once its HTTP API answers with a leader. With free
 * ports, a port taken between choosing and binding it (an outgoing connection's source port,
 * say) makes the agent exit with "address already in use": it is started again on new ports.
 */
export async function startDevAgent(opts: DevAgentOptions): Promise<DevAgent> {
  mkdirSync(opts.dataDir, { recursive: true });
  mkdirSync(dirname(opts.logFile), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, opts.standardPorts ? STANDARD_PORTS : await agentPorts(opts.httpPort));
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.standardPorts || attempt === 5) throw err;
    }
  }
}

const STANDARD_PORTS = { dns: 8600, serfLan: 8301, serfWan: 8302, server: 8300, grpc: 8502 };

type Ports = typeof STANDARD_PORTS & { http?: number };

async function agentPorts(httpPort: number): Promise<Ports> {
  const [http, dns, serfLan, serfWan, server, grpc] = await freePorts(6);
  return { http: httpPort === 0 ? http : httpPort, dns, serfLan, serfWan, server, grpc };
}

class PortTaken extends Error {}

async function startOnce(opts: DevAgentOptions, ports: Ports): Promise<DevAgent> {
  const httpPort = ports.http ?? opts.httpPort;
  const args = [
    'agent',
    '-dev',
    '-ui',
    '-bind',
    '127.0.0.1',
    '-client',
    '127.0.0.1',
    '-node',
    'shoal-dev',
    '-data-dir',
    opts.dataDir,
    '-http-port',
    String(httpPort),
    '-dns-port',
    String(ports.dns),
    '-serf-lan-port',
    String(ports.serfLan),
    '-serf-wan-port',
    String(ports.serfWan),
    '-server-port',
    String(ports.server),
    '-grpc-port',
    String(ports.grpc),
    ...(opts.checkTls
      ? [
          '-hcl',
          'enable_agent_tls_for_checks = true',
          '-hcl',
          `ca_file = ${JSON.stringify(opts.checkTls.caFile)}`,
          '-hcl',
          `cert_file = ${JSON.stringify(opts.checkTls.certFile)}`,
          '-hcl',
          `key_file = ${JSON.stringify(opts.checkTls.keyFile)}`,
        ]
      : []),
    ...(opts.aclMasterToken
      ? [
          '-hcl',
          `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens {\n    master = ${JSON.stringify(opts.aclMasterToken)}\n    agent = ${JSON.stringify(opts.aclMasterToken)}\n  }\n}`,
        ]
      : []),
  ];
  const logFile = opts.logFile;
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve) => log.once('open', () => resolve()));
  // The child keeps its own copy of the descriptor; ours is not needed once it runs.
  const child = spawn(opts.binary, args, { stdio: ['ignore', log, log], detached: opts.detached ?? false });
  log.close();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      const output = readFileSync(logFile, 'utf8').slice(logStart);
      // A port taken meanwhile, or (with ports chosen one by one elsewhere) the same port twice.
      if (/address already in use|already configured/.test(output)) reject(new PortTaken(`a port was taken: ${output.trim().split('\n').pop()}`));
      else reject(new Error(`consul exited (code ${code}, signal ${signal}) before it was ready; see ${logFile}`));
    }),
  );
  exited.catch(() => undefined);
  const address = `127.0.0.1:${httpPort}`;
  const api = new ConsulApi(address);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20000);
  for (;;) {
    if (await Promise.race([api.isReachable(1000), exited])) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`consul did not become ready at ${address} within ${opts.startTimeoutMs ?? 20000} ms; see ${logFile}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
  }
  if (opts.detached) child.unref();
  return { process: child, address, httpPort, logFile };
}
