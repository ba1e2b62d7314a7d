// Failover across hosts, in the lab (root, Linux): five network-namespace hosts, three Consul
// servers, the cluster placed by two control planes through the host agents. Over BENCH_TRIALS
// trials (default 10) each:
//   isolate:  all links of the primary's host down, under sequential acknowledged writes from a
//             client outside the lab's hosts → the first write the new primary acknowledges;
//   pause:    SIGSTOP of every process on the primary's host until a new primary acknowledges a
//             write (so longer than detection) → the same;
//   false failovers: a pause of 300 ms and of 1 s → how many trials failed over.
// Each counts acknowledged writes lost (must be 0). lab-failover-raft: the isolate trials with
// the primary moved (by switchover) to h3, whose Consul server is made the Raft leader first
// (the leader's Consul process paused for a moment until h3's wins an election). lab-heal: a worker's host isolated → the
// replacement worker serving on another host. Prints p50/p90/min/max; asserts nothing. The
// lab's logs are kept (test-output/bench-lab/<prefix>) when a run fails, or always with
// BENCH_KEEP_LAB_LOGS=1.
// Run: npm run bench -- lab-failover lab-failover-raft lab-heal
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { REPO_ROOT } from '../common/paths';
import { waitFor } from '../common/time/waitFor';
import { NodePhase } from '../gen/shoal/v1/scale';
import { MemberHealth, NodeRole } from '../gen/shoal/v1/node';
import { clusterMembers } from '../common/cluster/memberFromConsul';
import { downLab, upLab } from '../lab/Lab';
import type { LabLayout } from '../lab/layout';
import { heal } from '../lab/faults/heal';
import { isolate } from '../lab/faults/networkFaults';
import { pause, resume } from '../lab/faults/processFaults';
import { switchover } from '../common/cluster/changePrimary';
import { readTopology, stateNodeIdsOf } from '../common/cluster/declaredTopology';
import { AckedWriter, LabCluster } from '../test/support/labCluster';
import { summarize } from './stats';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 10);

async function withLab<T>(fn: (layout: LabLayout, cluster: LabCluster) => Promise<T>): Promise<T> {
  const prefix = `sb${randomBytes(2).toString('hex')}`;
  const runDir = join(REPO_ROOT, 'test-output', 'bench-lab', prefix);
  const started = Date.now();
  const layout = await upLab({ hosts: 5, prefix, subnet: '10.78.0.0/24', runDir, controlPlanes: true, dashboardPort: 0 });
  let failed = true;
  try {
    const cluster = new LabCluster(layout);
    await cluster.settled(120_000);
    console.log(`lab up and settled in ${Date.now() - started} ms`);
    const result = await fn(layout, cluster);
    failed = false;
    return result;
  } finally {
    const keep = failed || process.env.BENCH_KEEP_LAB_LOGS === '1';
    await downLab(prefix, runDir, { keepRunDir: keep });
    if (keep) console.log(`lab logs kept in ${runDir}`);
  }
}

/** One trial of a host fault on the primary's host: ms until the first write acknowledged in a newer term, and writes lost. */
async function primaryHostTrial(
  cluster: LabCluster,
  trial: string,
  fault: (host: string) => Promise<void>,
  undo: (host: string) => Promise<void>,
): Promise<{ ms: number; lost: number; acknowledged: number; host: string }> {
  const before = await cluster.settled();
  const host = await cluster.hostOf(before.primaryId);
  const state = cluster.stateClient(15_000);
  // A long-lived client, as an application's would be: it follows the leader record.
  state.followLeader();
  const writer = new AckedWriter(state, `bench/${trial}`).start();
  try {
    await writer.acknowledgedAfter(0, 20);
    const at = Date.now();
    await fault(host);
    const first = await waitFor('a write acknowledged in a newer term', () => writer.acked.find((w) => w.atMs >= at && w.term > before.term), {
      timeoutMs: 60_000,
      intervalMs: 5,
    });
    await undo(host);
    await cluster.settled();
    await writer.stop();
    const problems = await writer.check();
    if (problems.length) console.log(`  ${trial}: ${problems.slice(0, 3).join('; ')}`);
    return { ms: first.atMs - at, lost: problems.filter((p) => p.includes('is lost')).length, acknowledged: writer.acked.length, host };
  } finally {
    await writer.stop();
    state.close();
  }
}

/** A short pause of the primary's host: whether the primary changed. */
async function pauseTrial(cluster: LabCluster, layout: LabLayout, ms: number): Promise<boolean> {
  const before = await cluster.settled();
  const host = await cluster.hostOf(before.primaryId);
  await pause(layout, host);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await resume(layout, host);
  // Long enough for a failover that was decided to show: the detection time twice over.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await cluster.settled();
  return after.primaryId !== before.primaryId || after.term !== before.term;
}

export async function labFailover(): Promise<Record<string, unknown>> {
  return withLab(async (layout, cluster) => {
    const isolated: number[] = [];
    const paused: number[] = [];
    let lost = 0;
    let acknowledged = 0;
    for (let i = 1; i <= TRIALS; i++) {
      const r = await primaryHostTrial(
        cluster,
        `isolate-${i}`,
        (h) => isolate(layout, h).then(() => undefined),
        () => heal(layout).then(() => undefined),
      );
      console.log(`  isolate trial ${i} (primary on ${r.host}): writes again after ${r.ms} ms, ${r.lost} lost of ${r.acknowledged}`);
      isolated.push(r.ms);
      lost += r.lost;
      acknowledged += r.acknowledged;
    }
    for (let i = 1; i <= TRIALS; i++) {
      const r = await primaryHostTrial(
        cluster,
        `pause-${i}`,
        (h) => pause(layout, h).then(() => undefined),
        (h) => resume(layout, h).then(() => undefined),
      );
      console.log(`  pause trial ${i} (primary on ${r.host}): writes again after ${r.ms} ms, ${r.lost} lost of ${r.acknowledged}`);
      paused.push(r.ms);
      lost += r.lost;
      acknowledged += r.acknowledged;
    }
    const falseFailovers: Record<string, number> = {};
    for (const ms of [300, 1000]) {
      let failedOver = 0;
      for (let i = 1; i <= TRIALS; i++) if (await pauseTrial(cluster, layout, ms)) failedOver += 1;
      console.log(`pause of ${ms} ms: ${failedOver} of ${TRIALS} trials failed over`);
      falseFailovers[`pause${ms}ms`] = failedOver;
    }
    console.log(`acknowledged writes lost: ${lost} of ${acknowledged}`);
    return {
      isolate: summarize('host isolated → writes on a new primary', isolated),
      pause: summarize('host paused → writes on a new primary', paused),
      failoversUnderShortPause: falseFailovers,
      acknowledgedWrites: acknowledged,
      lostWrites: lost,
    };
  });
}

/** The lab host with a Consul server where the lab places a replica (h3 of five): the primary can be moved there. */
const RAFT_HOST = 'h3';

/**
 * Makes h3's Consul server the Raft leader: while another server leads, its Consul process is
 * stopped for 2 s (an election among the other two follows) and continued, until h3's wins.
 */
async function raftLeaderTo(cluster: LabCluster, layout: LabLayout): Promise<number> {
  for (let elections = 0; elections < 12; elections++) {
    await cluster.settled();
    const leaderHost = await cluster.raftLeaderHost();
    if (leaderHost === RAFT_HOST) return elections;
    const pid = layout.pids[`consul-${leaderHost}`];
    process.kill(pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    process.kill(pid, 'SIGCONT');
  }
  throw new Error(`the Consul Raft leader did not move to ${RAFT_HOST} in 12 elections`);
}

/** Moves the primary (by switchover) to the state node placed on h3. */
async function primaryTo(cluster: LabCluster): Promise<void> {
  const before = await cluster.settled();
  if ((await cluster.hostOf(before.primaryId)) === RAFT_HOST) return;
  const topology = await readTopology(cluster.consul, cluster.cluster);
  if (!topology) throw new Error('no declared topology in Consul');
  const state = stateNodeIdsOf(topology);
  const onHost = (await Promise.all(state.map(async (id) => ((await cluster.hostOf(id)) === RAFT_HOST ? id : undefined)))).find(Boolean);
  if (!onHost) throw new Error(`no state node on ${RAFT_HOST}`);
  // The switchover reads health from Consul, whose check of a node back from the last trial
  // may pass a check interval after the control plane's stream says it runs.
  await waitFor(
    `${onHost} passing in Consul`,
    async () => (await clusterMembers(cluster.consul, cluster.cluster)).some((m) => m.id === onHost && m.health === MemberHealth.MEMBER_HEALTH_PASSING),
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  await switchover(
    { consul: cluster.consul, cluster: cluster.cluster, credentials: cluster.credentials, minAcks: topology.minAcks, stateNodeIds: state, timeoutMs: 15_000 },
    onHost,
  );
}

export async function labFailoverRaft(): Promise<Record<string, unknown>> {
  return withLab(async (layout, cluster) => {
    const isolated: number[] = [];
    let lost = 0;
    let acknowledged = 0;
    for (let i = 1; i <= TRIALS; i++) {
      await primaryTo(cluster);
      const elections = await raftLeaderTo(cluster, layout);
      const r = await primaryHostTrial(
        cluster,
        `isolate-raft-${i}`,
        (h) => isolate(layout, h).then(() => undefined),
        () => heal(layout).then(() => undefined),
      );
      console.log(
        `  trial ${i} (primary and Raft leader on ${r.host}, ${elections} elections to get there): writes again after ${r.ms} ms, ${r.lost} lost of ${r.acknowledged}`,
      );
      isolated.push(r.ms);
      lost += r.lost;
      acknowledged += r.acknowledged;
    }
    console.log(`acknowledged writes lost: ${lost} of ${acknowledged}`);
    return {
      isolateWithRaftLeader: summarize("host of the primary and Consul's Raft leader isolated → writes on a new primary", isolated),
      acknowledgedWrites: acknowledged,
      lostWrites: lost,
    };
  });
}

export async function labHeal(): Promise<Record<string, unknown>> {
  return withLab(async (layout, cluster) => {
    const replaced: number[] = [];
    for (let i = 1; i <= TRIALS; i++) {
      await cluster.settled();
      const t = await cluster.topology();
      const workers = t.nodes.filter((n) => n.declaredRole === NodeRole.NODE_ROLE_WORKER);
      // A worker the control plane replaced in the last trial may not be placed yet in this view.
      const victim = workers.find((w) => w.host);
      if (!victim) throw new Error(`no worker with a host to isolate (${workers.map((w) => w.id).join(', ')})`);
      const before = new Set(workers.map((w) => w.id));
      const at = Date.now();
      await isolate(layout, victim.host);
      await waitFor(
        'a replacement worker serving on another host',
        async () =>
          (await cluster.topology()).nodes.some(
            (n) => n.declaredRole === NodeRole.NODE_ROLE_WORKER && !before.has(n.id) && n.phase === NodePhase.NODE_PHASE_RUNNING && n.host !== victim.host,
          ),
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      replaced.push(Date.now() - at);
      console.log(`  trial ${i}: ${victim.id} on ${victim.host} replaced after ${replaced.at(-1)} ms`);
      await heal(layout);
    }
    return { workerHostLost: summarize("worker's host isolated → a replacement worker running on another host", replaced) };
  });
}
