import { mkdtempSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../common/net/freePort';
import { type DevAgent, startDevAgent } from '../../common/consul/devAgent';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { consulBinary } from '../../common/consul/consulBinary';
import { waitFor } from '../../common/time/waitFor';

/** A private Consul dev agent for one test suite: free ports, its own data dir under test-output/. */
export interface TestConsul {
  address: string;
  api: ConsulApi;
  httpPort: number;
  stop(): Promise<void>;
}

export function outputDir(...parts: string[]): string {
  const dir = join(__dirname, '..', '..', 'test-output', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts a Consul dev agent; on a fixed `httpPort` when given (to test start-before-Consul). */
export async function startTestConsul(httpPort?: number): Promise<TestConsul> {
  const port = httpPort ?? (await freePort());
  const agent: DevAgent = await startDevAgent({
    binary: consulBinary(),
    httpPort: port,
    standardPorts: false,
    dir: mkdtempSync(join(outputDir('consul'), 'agent-')),
  });
  return {
    address: agent.address,
    api: new ConsulApi(agent.address),
    httpPort: port,
    async stop() {
      if (agent.process.exitCode !== null || agent.process.signalCode !== null) return;
      agent.process.kill('SIGKILL');
      await waitFor('consul to exit', () => agent.process.exitCode !== null || agent.process.signalCode !== null, { timeoutMs: 5000 });
    },
  };
}
