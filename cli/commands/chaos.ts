import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StateClient } from '../../common/client/StateClient';
import { readLeader } from '../../common/cluster/leaderRecord';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { declaredNodeIds } from '../../common/config/clusterConfig';
import { HistoryRecorder } from '../../common/history/HistoryRecorder';
import { defaultRunDir, RunDir } from '../../common/local/RunDir';
import { waitFor } from '../../common/time/waitFor';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { finalReads, judgeRun } from '../chaos/judgeRun';
import { type FaultEvent, LOCAL_FAULTS, type LocalFault, LocalNemesis } from '../chaos/localNemesis';
import { SeededRandom } from '../chaos/seededRandom';
import { type ClientLoop, type OpCounts, registerClient, setClient, type WorkloadName, WORKLOADS } from '../chaos/workloads';
import { CliError } from '../CliError';
import { CLUSTER_OPTIONS, CLUSTER_OPTIONS_HELP, connectCluster } from '../clusterOptions';
import { intOption } from '../intOption';

export const CHAOS_HELP = `Usage: shoal chaos [--duration S] [--seed N] [--clients N] [--workload LIST] [--faults LIST] [--report DIR]

Runs clients against the local cluster (make up) while faults strike it, records every
operation, heals, and judges the whole history: each register key linearizable, no
acknowledged write lost, every acknowledged set element there at the end, at most one node
acknowledging writes per term. Prints a progress line each second, then the verdict; exits 1
on any anomaly (or a check it could not decide), so it can run in a pipeline.

Options:
  --duration S     seconds of load and faults (default: 60)
  --seed N         seed of the clients' choices and the faults (default: random, printed)
  --clients N      concurrent clients, spread over the workloads (default: 8)
  --workload LIST  register,set (default: both)
  --faults LIST    ${LOCAL_FAULTS.join(',')} (default: all); kills are healed by the control plane
  --report DIR     where history.jsonl and results.json go (default: <run dir>/chaos/<seed>)
  --run-dir DIR    run directory of \`shoal up\` (default: .run in the checkout, or SHOAL_RUN_DIR)
  --json           print the results as JSON instead of the summary
${CLUSTER_OPTIONS_HELP}
  -h, --help       show this help

Not built yet: the queue workload, the lab's faults (--lab), the HTML timeline.`;

/** Pause between two faults, ms: the cluster heals in it. */
const HEALING_MS: [number, number] = [1000, 3000];
/** How long the cluster may take to settle after the faults, ms. */
const SETTLE_MS = 60_000;

function listOption<T extends string>(flag: string, value: string | undefined, known: readonly T[]): T[] {
  if (value === undefined) return [...known];
  const items = value.split(',').map((s) => s.trim());
  const wrong = items.filter((i) => !known.includes(i as T));
  if (wrong.length > 0) throw new CliError(`${flag} takes ${known.join(', ')} (got "${value}")`);
  return items as T[];
}

export async function chaos(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CLUSTER_OPTIONS,
      duration: { type: 'string' },
      seed: { type: 'string' },
      clients: { type: 'string' },
      workload: { type: 'string' },
      faults: { type: 'string' },
      report: { type: 'string' },
      'run-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(CHAOS_HELP), 0);
  const durationMs = intOption('--duration', values.duration, 60, { min: 1, max: 86_400 }) * 1000;
  const seed = intOption('--seed', values.seed, randomInt(2 ** 31), { min: 0, max: 2 ** 31 - 1 });
  const clientCount = intOption('--clients', values.clients, 8, { min: 1, max: 256 });
  const workloads = listOption<WorkloadName>('--workload', values.workload, WORKLOADS);
  const faults = listOption<LocalFault>('--faults', values.faults, LOCAL_FAULTS);
  const runDir = new RunDir(values['run-dir'] ?? defaultRunDir());
  if (runDir.readNodes().length === 0) throw new CliError(`no nodes started from ${runDir.path}: start the cluster with \`make up\` first (or pass --run-dir)`);
  const { consul, cluster, config, transport } = await connectCluster(values);
  const report = resolve(values.report ?? join(runDir.path, 'chaos', String(seed)));
  const run = `s${seed}`;
  // One source per client and one for the nemesis, each from the seed: drawn from one shared
  // source, the choices would depend on the order the clients' answers happen to come in.
  const randomOf = (stream: number) => new SeededRandom((seed + stream * 0x9e3779b9) >>> 0);
  const recorder = new HistoryRecorder();
  const counts: OpCounts = { ok: 0, fail: 0, unknown: 0 };
  const states: StateClient[] = [];
  const stateClient = () => {
    const s = new StateClient({ consul, cluster, deadlineMs: 3000, credentials: transport.channel() });
    states.push(s);
    return s;
  };
  const loops: ClientLoop[] = Array.from({ length: clientCount }, (_, i) => {
    const workload = workloads[i % workloads.length];
    const name = `${workload}-${i + 1}`;
    return workload === 'register'
      ? registerClient(name, run, stateClient(), recorder, randomOf(i + 1), counts)
      : setClient(name, run, stateClient(), recorder, counts);
  });
  const random = randomOf(0);
  const nemesis = new LocalNemesis(runDir, consul, cluster, random);
  // Interrupted, it must not leave a node paused.
  const onInterrupt = () => {
    nemesis.healAll();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const faultLog: FaultEvent[] = [];
  const now = () => performance.timeOrigin + performance.now();
  const started = now();
  const stop = () => now() - started >= durationMs;
  let inForce = 'none';
  if (!values.json)
    console.log(
      `chaos on cluster ${cluster}: seed ${seed}, ${clientCount} clients (${workloads.join(', ')}), faults ${faults.join(', ')}, ${durationMs / 1000} s`,
    );
  const progress = setInterval(() => {
    if (values.json) return;
    void readLeader(consul, cluster).then(
      ({ record }) => {
        const primary = record ? `${record.primaryId} term ${record.term}` : 'none';
        console.log(
          `  ${Math.round((now() - started) / 1000)} s: ok ${counts.ok}, failed ${counts.fail}, unknown ${counts.unknown} · fault: ${inForce} · primary ${primary}`,
        );
      },
      () => undefined,
    );
  }, 1000);
  const nemesisLoop = async () => {
    while (!stop()) {
      await new Promise((r) => setTimeout(r, random.between(...HEALING_MS)));
      if (stop()) return;
      const fault = random.pick(faults);
      inForce = fault;
      const event = await nemesis.strike(fault, now);
      inForce = 'none';
      faultLog.push(event);
    }
  };
  try {
    await Promise.all([...loops.map((l) => l.run(stop)), nemesisLoop()]);
  } finally {
    clearInterval(progress);
    nemesis.healAll();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  const declared = declaredNodeIds(config).length;
  if (!values.json) console.log(`healing: waiting for the ${declared} declared nodes to pass in Consul`);
  await waitFor(
    `the ${declared} declared nodes passing in Consul`,
    async () => (await clusterMembers(consul, cluster)).filter((m) => m.health === MemberHealth.MEMBER_HEALTH_PASSING).length >= declared,
    { timeoutMs: SETTLE_MS, intervalMs: 250 },
  ).catch(() => {
    throw new CliError(`the cluster did not settle within ${SETTLE_MS / 1000} s after the faults; the history so far is not judged`);
  });
  const reader = stateClient();
  const reads = await finalReads(reader, run, workloads);
  for (const s of states) s.close();
  const judgement = judgeRun(recorder.history, run, workloads, reads);
  mkdirSync(report, { recursive: true });
  const lines = [...recorder.history.map((e) => ({ at: e.timeMs, line: e })), ...faultLog.map((f) => ({ at: f.startMs, line: f }))].sort((a, b) => a.at - b.at);
  writeFileSync(join(report, 'history.jsonl'), lines.map((l) => JSON.stringify(l.line)).join('\n') + '\n');
  const results = { seed, cluster, durationMs, clients: clientCount, workloads, ops: counts, faults: faultLog.length, ...judgement };
  writeFileSync(join(report, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(
      `ops: ok ${counts.ok}, failed ${counts.fail}, unknown ${counts.unknown}; faults: ${faultLog.length} (${faultLog.map((f) => `${f.fault} ${f.target}`).join(', ')})`,
    );
    for (const v of judgement.verdicts)
      console.log(
        `${v.valid === true ? 'ok' : v.valid === false ? 'ANOMALY' : 'UNDECIDED'}  ${v.checker}${v.problems.length ? `:\n    ${v.problems.join('\n    ')}` : ''}`,
      );
    console.log(`${judgement.valid ? 'valid' : 'INVALID'}: seed ${seed}; history and results in ${report}`);
  }
  return judgement.valid ? 0 : 1;
}
