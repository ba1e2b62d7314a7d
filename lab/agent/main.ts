// A lab host agent: `ip netns exec <ns> node --import tsx lab/agent/main.ts --host h1 --address IP …`
// (shoal lab up starts one per host; see docs/lab.md).
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HostAgentServer } from './HostAgentServer';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string' },
    dir: { type: 'string' },
    config: { type: 'string' },
    cluster: { type: 'string' },
    consul: { type: 'string' },
  },
});
const missing = ['host', 'address', 'port', 'dir', 'config', 'cluster', 'consul'].filter((k) => !values[k as keyof typeof values]);
if (missing.length) {
  console.error(`shoal lab agent: missing ${missing.map((m) => `--${m}`).join(', ')}`);
  process.exit(2);
}
mkdirSync(values.dir!, { recursive: true });
const agent = new HostAgentServer({
  host: values.host!,
  address: values.address!,
  port: Number(values.port),
  dir: values.dir!,
  clusterConfig: values.config!,
  cluster: values.cluster!,
  consul: values.consul!,
});
agent.listen().then(
  () => console.log(`host agent of ${values.host} listening on ${values.address}:${values.port}`),
  (err: unknown) => {
    console.error(`host agent of ${values.host}: cannot listen on ${values.address}:${values.port}: ${(err as Error).message}`);
    process.exit(1);
  },
);
