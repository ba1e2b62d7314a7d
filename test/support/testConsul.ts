import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DevAgent, startDevAgent } from '../../common/consul/devAgent';
import type { CertificateFiles } from '../../common/tls/ReloadingCertificates';
import { ConsulApi, type ConsulServiceEntry } from '../../common/consul/ConsulApi';
import { consulBinary } from '../../common/consul/consulBinary';
import { waitFor } from '../../common/time/waitFor';
import { trackChild } from './processRegistry';

/** A private Consul dev agent for one test suite: free ports, its own data dir under test-output/. */
export interface TestConsul {
  address: string;
  /** The agent's process (to pause it with SIGSTOP, say). */
  process: ChildProcess;
  api: ConsulApi;
  httpPort: number;
  /** Waits until `service` has exactly `count` instances, every check passing; returns them. */
  waitForPassing(service: string, count: number, timeoutMs?: number): Promise<ConsulServiceEntry[]>;
  stop(): Promise<void>;
}

export function outputDir(...parts: string[]): string {
  const dir = join(__dirname, '..', '..', 'test-output', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface TestConsulOptions {
  /** A fixed HTTP port (to test start-before-Consul). @default a free one */
  httpPort?: number;
  /** Able to run the gRPC checks of nodes that require mutual TLS, with this certificate. */
  checkTls?: CertificateFiles;
  /** Consul's ACLs on (default deny) with this master token, which the test's `api` uses. */
  aclMasterToken?: string;
}

/** Starts a private Consul dev agent for a suite. */
export async function startTestConsul({ httpPort, checkTls, aclMasterToken }: TestConsulOptions = {}): Promise<TestConsul> {
  const dir = mkdtempSync(join(outputDir('consul'), 'agent-'));
  const agent: DevAgent = await startDevAgent({
    binary: consulBinary(),
    httpPort: httpPort ?? 0,
    standardPorts: false,
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'consul.log'),
    ...(checkTls && { checkTls }),
    ...(aclMasterToken && { aclMasterToken }),
  });
  trackChild(agent.process);
  const api = new ConsulApi(agent.address, { token: aclMasterToken });
  return {
    address: agent.address,
    process: agent.process,
    api,
    httpPort: agent.httpPort,
    waitForPassing: (service, count, timeoutMs = 20000) =>
      waitFor(
        `${count} passing instances of ${service}`,
        async () => {
          const { value } = await api.healthService(service);
          return value.length === count && value.every((e) => e.Checks.every((c) => c.Status === 'passing')) && value;
        },
        { timeoutMs },
      ),
    async stop() {
      if (agent.process.exitCode !== null || agent.process.signalCode !== null) return;
      agent.process.kill('SIGKILL');
      await waitFor('consul to exit', () => agent.process.exitCode !== null || agent.process.signalCode !== null, { timeoutMs: 5000 });
    },
  };
}
