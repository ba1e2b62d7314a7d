// How long `shoal up` takes to bring 5 nodes to passing in Consul, cold (it starts the Consul
// dev agent too) and warm (Consul already running), and how many unary calls one node answers.
// Prints figures; asserts nothing. Run: npm run bench -- cluster-up
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { credentials, Metadata } from '@grpc/grpc-js';
import { DiscoveryClient } from '../gen/shoal/v1/discovery';
import { consulBinary } from '../common/consul/consulBinary';
import { startDevAgent } from '../common/consul/devAgent';
import { freePort } from '../common/net/freePort';
import { writeEphemeralClusterConfig } from '../test/support/ephemeralClusterConfig';
import { percentile } from './stats';

const run = promisify(execFile);
const SHOAL = join(__dirname, '..', 'bin', 'shoal.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function shoal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (await run(process.execPath, [SHOAL, ...args], { env: { ...process.env, ...env }, timeout: 120000 })).stdout;
}

function summary(label: string, ms: number[]): { p50Ms: number; minMs: number; maxMs: number; runs: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const result = { p50Ms: Math.round(percentile(sorted, 50)), minMs: Math.round(sorted[0]), maxMs: Math.round(sorted.at(-1)!), runs: ms.length };
  console.log(`${label}: p50 ${result.p50Ms} ms, min ${result.minMs} ms, max ${result.maxMs} ms (${ms.length} runs)`);
  return result;
}

async function upDown(env: NodeJS.ProcessEnv, config: string): Promise<number> {
  const started = performance.now();
  await shoal(['up', '--config', config], env);
  const elapsed = performance.now() - started;
  await shoal(['down'], env);
  return elapsed;
}

async function unaryThroughput(address: string, concurrency: number, seconds: number): Promise<number> {
  const client = new DiscoveryClient(address, credentials.createInsecure());
  const end = Date.now() + seconds * 1000;
  let calls = 0;
  const loop = async () => {
    while (Date.now() < end) {
      await new Promise<void>((resolve, reject) => client.getNodeInfo({}, new Metadata(), {}, (err) => (err ? reject(err) : resolve())));
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  client.close();
  return calls / seconds;
}

/** Runs the benchmark and returns its figures. */
export async function clusterUp(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-'));
  const config = join(dir, 'cluster.json');
  writeEphemeralClusterConfig(config, 'bench');

  const cold: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const env = { CONSUL_HTTP_ADDR: `127.0.0.1:${await freePort()}`, SHOAL_RUN_DIR: join(dir, `cold-${i}`) };
    cold.push(await upDown(env, config));
    process.stdout.write(`  cold run ${i + 1}/${RUNS}: ${cold.at(-1)!.toFixed(0)} ms\n`);
  }
  const coldSummary = summary('shoal up, Consul dev agent + 5 nodes to passing', cold);

  const agent = await startDevAgent({
    binary: consulBinary(),
    httpPort: 0,
    standardPorts: false,
    dataDir: join(dir, 'consul', 'data'),
    logFile: join(dir, 'consul', 'consul.log'),
  });
  try {
    const env = { CONSUL_HTTP_ADDR: agent.address, SHOAL_RUN_DIR: join(dir, 'warm') };
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await upDown(env, config));
      process.stdout.write(`  warm run ${i + 1}/${RUNS}: ${warm.at(-1)!.toFixed(0)} ms\n`);
    }
    const warmSummary = summary('shoal up, Consul already running, 5 nodes to passing', warm);

    await shoal(['up', '--config', config], env);
    const status = JSON.parse(await shoal(['status', '--cluster', 'bench', '--json'], env)) as { member: { id: string; grpcAddress: string } }[];
    const primary = status.find((s) => s.member.id === 'primary')!.member.grpcAddress;
    const rate = await unaryThroughput(primary, 64, 5);
    console.log(`Discovery.GetNodeInfo on one node, concurrency 64, 5 s: ${rate.toFixed(0)} calls/s`);
    await shoal(['down'], env);
    return { upColdMs: coldSummary, upWarmMs: warmSummary, getNodeInfoCallsPerSecond: Math.round(rate) };
  } finally {
    agent.process.kill('SIGKILL');
  }
}
