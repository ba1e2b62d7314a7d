import { credentials } from '@grpc/grpc-js';
// How fast the control plane heals: over BENCH_TRIALS trials (default 10) each,
//   failover: kill -9 the primary under sequential acknowledged writes → the first write the
//             new primary acknowledges, and how many acknowledged writes were lost;
//   heal:     kill -9 a worker (one that ran 10 s: an isolated crash) → its replacement passes
//             in Consul, and the control plane sees it running;
//   handover: kill -9 the control-plane leader → the standby holds the lock and acts.
// Prints median, p90, min and max; asserts nothing. Run: npm run bench -- failover heal handover
import { ClusterEventKind, NodePhase } from '../gen/shoal/v1/scale';
import { MemberHealth } from '../gen/shoal/v1/node';
import { nodeInfo } from '../common/client/nodeInfo';
import { StateClient } from '../common/client/StateClient';
import { clusterMembers } from '../common/cluster/memberFromConsul';
import { isRunning } from '../common/local/processRecord';
import { waitFor } from '../common/time/waitFor';
import { detailsOf } from '../control-plane/events/EventJournal';
import { ControlPlaneCluster } from '../test/support/controlPlaneCluster';
import { type Summary, summarize } from './stats';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 10);

async function withCluster<T>(name: string, fn: (c: ControlPlaneCluster) => Promise<T>, tls = false): Promise<T> {
  const cluster = await ControlPlaneCluster.start({ cluster: name, tls });
  try {
    await cluster.ready(60_000);
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

/**
 * The cluster is whole again: the control-plane leader sees every declared node running with a
 * live stream, passing in Consul, the state nodes in the current term. (Consul alone is not
 * enough: it shows a killed node passing for up to a check interval.)
 */
async function settled(cluster: ControlPlaneCluster): Promise<void> {
  await waitFor(
    'the cluster to settle',
    async () => {
      const t = await cluster.topology();
      return (
        t.nodes.length === 5 &&
        t.nodes.every(
          (n) =>
            n.phase === NodePhase.NODE_PHASE_RUNNING &&
            n.streamConnected &&
            n.health === MemberHealth.MEMBER_HEALTH_PASSING &&
            (n.term === 0 || n.term === t.term),
        )
      );
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
}

/** kill -9 of the primary, plaintext then with mutual TLS on every hop, each TRIALS times. */
export async function failover(): Promise<Record<string, unknown>> {
  console.log('plaintext:');
  const plaintext = await failoverTrials(false);
  console.log('mutual TLS on every hop:');
  const tls = await failoverTrials(true);
  const p50 = (r: Record<string, unknown>) => (r.writesResumed as Summary).p50Ms;
  console.log(`writes acknowledged again after the kill, p50: plaintext ${p50(plaintext)} ms, mutual TLS ${p50(tls)} ms`);
  return { plaintext, tls };
}

async function failoverTrials(tls: boolean): Promise<Record<string, unknown>> {
  return withCluster(
    `bench-failover${tls ? '-tls' : ''}`,
    async (cluster) => {
      const state = new StateClient({ consul: cluster.consul.api, cluster: cluster.cluster, deadlineMs: 15_000, credentials: cluster.credentials });
      const resumed: number[] = [];
      const decided: number[] = [];
      let lost = 0;
      let acknowledged = 0;
      try {
        for (let trial = 1; trial <= TRIALS; trial++) {
          await settled(cluster);
          const old = await cluster.primary();
          const acked: { key: string; at: number; term: number }[] = [];
          let stop = false;
          const writer = (async () => {
            for (let i = 0; !stop; i++) {
              const key = `bench/${trial}/${i}`;
              try {
                const { term } = await state.put(key, Buffer.from(String(i)));
                acked.push({ key, at: performance.timeOrigin + performance.now(), term });
              } catch {
                // Not acknowledged: not counted. A pause, so a fast failure cannot starve the loop.
                await new Promise((r) => setTimeout(r, 10));
              }
            }
          })();
          let killedAt = 0;
          let decision: Awaited<ReturnType<ControlPlaneCluster['decision']>>;
          let first: { key: string; at: number; term: number };
          try {
            await waitFor('20 writes', () => acked.length >= 20, { timeoutMs: 20_000, intervalMs: 10 });
            killedAt = performance.timeOrigin + performance.now();
            cluster.killNode(old.primaryId);
            decision = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_FAILED_OVER, old.primaryId, Math.floor(killedAt), 30_000);
            // The first write the new primary acknowledged (a write of the old term can still be
            // acknowledged in the moment between reading the clock and the kill).
            first = await waitFor('a write acknowledged by the new primary', () => acked.find((a) => a.term > old.term), { timeoutMs: 30_000, intervalMs: 5 });
          } finally {
            stop = true;
            await writer;
          }
          let missing = 0;
          for (const { key } of acked) if (!(await state.get(key)).found) missing += 1;
          lost += missing;
          acknowledged += acked.length;
          resumed.push(first.at - killedAt);
          decided.push(decision.atUnixMs - killedAt);
          console.log(
            `  trial ${trial}: ${old.primaryId} → ${detailsOf(decision).to}, failover decided after ${Math.round(decision.atUnixMs - killedAt)} ms, writes again after ${Math.round(first.at - killedAt)} ms, ${missing} of ${acked.length} acknowledged writes missing`,
          );
        }
      } finally {
        state.close();
      }
      console.log(`acknowledged writes lost: ${lost} of ${acknowledged}`);
      return {
        writesResumed: summarize('kill -9 primary → writes acknowledged again', resumed),
        failoverDecided: summarize('kill -9 primary → failover done (decision logged)', decided),
        acknowledgedWritesLost: lost,
        acknowledgedWrites: acknowledged,
      };
    },
    tls,
  );
}

/** A node restarted within this long of its last start backs off further (a crash loop): see Reconciler. */
const STABLE_MS = 10_000;

export async function heal(): Promise<Record<string, unknown>> {
  return withCluster('bench-heal', async (cluster) => {
    const passing: number[] = [];
    const running: number[] = [];
    const restarted: number[] = [];
    const lastStart = new Map<string, number>();
    for (let trial = 1; trial <= TRIALS; trial++) {
      await settled(cluster);
      const id = trial % 2 ? 'worker-1' : 'worker-2';
      // An isolated crash, not a crash loop: the worker has run long enough for its restart
      // backoff to be back at its first step.
      const since = lastStart.get(id);
      if (since !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, since + STABLE_MS + 500 - Date.now())));
      const killedAt = Date.now();
      const pid = cluster.killNode(id);
      let passingAt = 0;
      // Passing in Consul at an address where the new process (started after the kill) answers
      // (right after the kill, Consul still shows the old one passing for up to a check
      // interval), and seen running (passing, streaming) by the control plane.
      await waitFor(
        `${id} passing again`,
        async () => {
          const record = cluster.record(id);
          if (!record || record.pid === pid || !isRunning(record)) return false;
          if (!passingAt) {
            const member = (await clusterMembers(cluster.consul.api, cluster.cluster)).find((m) => m.id === id);
            if (
              member?.health === MemberHealth.MEMBER_HEALTH_PASSING &&
              ((await nodeInfo(member.grpcAddress, credentials.createInsecure()))?.startedAtUnixMs ?? 0) > killedAt
            )
              passingAt = Date.now();
          }
          const node = await cluster.node(id);
          return passingAt && node?.phase === NodePhase.NODE_PHASE_RUNNING && node.pid === record.pid;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      const runningAt = Date.now();
      const decision = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_NODE_RESTARTED, id, killedAt);
      lastStart.set(id, decision.atUnixMs);
      passing.push(passingAt - killedAt);
      running.push(runningAt - killedAt);
      restarted.push(decision.atUnixMs - killedAt);
      console.log(
        `  trial ${trial}: ${id} restarted after ${decision.atUnixMs - killedAt} ms, passing in Consul after ${passingAt - killedAt} ms, running for the control plane after ${runningAt - killedAt} ms`,
      );
    }
    return {
      restartDecided: summarize('kill -9 worker → restart decided', restarted),
      replacementPassing: summarize('kill -9 worker → replacement passing in Consul', passing),
      replacementRunning: summarize('kill -9 worker → control plane sees it running (passing, streaming)', running),
    };
  });
}

export async function handover(): Promise<Record<string, unknown>> {
  return withCluster('bench-handover', async (cluster) => {
    const took: number[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const leader = await waitFor('a leader', () => cluster.leader(), { timeoutMs: 30_000 });
      // The standby must be registered and passing, or its session cannot be tied to its check.
      await waitFor(
        'both control planes passing',
        async () =>
          (await cluster.consul.api.healthService(`shoal-${cluster.cluster}-control-plane`)).value.filter((e) => e.Checks.every((c) => c.Status === 'passing'))
            .length === 2,
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const killedAt = Date.now();
      cluster.planes.get(leader.id)!.kill('SIGKILL');
      const decision = await cluster.decision(ClusterEventKind.CLUSTER_EVENT_KIND_LEADER_CHANGED, '', killedAt, 30_000);
      took.push(decision.atUnixMs - killedAt);
      console.log(`  trial ${trial}: ${leader.id} killed, ${decision.controlPlaneId} acting after ${decision.atUnixMs - killedAt} ms`);
      await cluster.consul.api.deregisterService(leader.id);
      cluster.startControlPlane(leader.id);
    }
    return { standbyActing: summarize('kill -9 control-plane leader → standby holds the lock and acts', took) };
  });
}
