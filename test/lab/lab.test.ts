import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { labMasterToken, labShoalToken } from '../../lab/consul/labConsulSecurity';
import { ConsulApi } from '../../common/consul/ConsulApi';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { HostAgentClient, HostAgentRefused } from '../../control-plane/placement/HostAgentClient';
import { namespaces } from '../../lab/ip';
import { downLab, upLab } from '../../lab/Lab';
import { consulServers, layoutFile } from '../../lab/layout';
import { useLab } from '../support/lab';

function linkNames(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0])
    .filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('lab: hosts as network namespaces (root)', function () {
  const lab = useLab({ hosts: 3 });

  it('makes one namespace per host, each with its address and loopback up', async () => {
    const all = await namespaces();
    for (const host of lab.layout.hosts) {
      assert.ok(all.includes(host.namespace), `${host.namespace} exists`);
      const addrs = execFileSync('ip', ['-n', host.namespace, '-o', 'addr', 'show'], { encoding: 'utf8' });
      assert.match(addrs, new RegExp(`inet ${host.address.replace(/\./g, '\\.')}/24`));
      assert.match(execFileSync('ip', ['-n', host.namespace, 'link', 'show', 'lo'], { encoding: 'utf8' }), /UP/);
    }
  });

  it('runs a three-server Consul cluster with a leader, reachable from the machine', async () => {
    const servers = consulServers(lab.layout);
    assert.equal(servers.length, 3);
    const consul = new ConsulApi(servers[0].consulHttp, { token: labShoalToken(lab.runDir) });
    assert.ok(await consul.leader());
    const members = (await (
      await fetch(`http://${servers[0].consulHttp}/v1/agent/members`, { headers: { 'x-consul-token': labMasterToken(lab.runDir) } })
    ).json()) as { Name: string; Status: number }[];
    assert.deepEqual(
      members
        .filter((m) => m.Status === 1)
        .map((m) => m.Name)
        .sort(),
      ['h1', 'h2', 'h3'],
    );
  });

  it('runs Consul with ACLs on (default deny: no token reads nothing) and its gossip encrypted', async () => {
    const server = consulServers(lab.layout)[0].consulHttp;
    const anonymous = await fetch(`http://${server}/v1/kv/shoal/${lab.layout.cluster}/leader`);
    assert.equal(anonymous.status, 403);
    const withShoalToken = await fetch(`http://${server}/v1/kv/shoal/${lab.layout.cluster}/leader`, {
      headers: { 'x-consul-token': labShoalToken(lab.runDir) },
    });
    assert.equal(withShoalToken.status, 404, 'the shoal token reads the cluster’s keys (none written yet)');
    const outside = await fetch(`http://${server}/v1/kv/elsewhere`, { headers: { 'x-consul-token': labShoalToken(lab.runDir) } });
    assert.equal(outside.status, 403, 'and nothing beyond them');
    for (const host of lab.layout.hosts) {
      const self = (await (await fetch(`http://${host.consulHttp}/v1/agent/self`, { headers: { 'x-consul-token': labMasterToken(lab.runDir) } })).json()) as {
        Stats: { serf_lan: { encrypted: string } };
      };
      assert.equal(self.Stats.serf_lan.encrypted, 'true', `${host.name}'s gossip is encrypted`);
    }
  });

  it('has an agent on every host answering list', async () => {
    for (const host of lab.layout.hosts) assert.deepEqual(await new HostAgentClient(host.agent).list(), { host: host.name, processes: [] });
  });

  it('starts a node inside its host, bound to and registered with the host address; stops and kills it', async function () {
    this.timeout(60_000);
    const h2 = lab.host('h2');
    const agent = new HostAgentClient(h2.agent);
    const started = await agent.start({ id: 'worker-1', role: 'worker', grpcPort: 8082, httpPort: 9082, restarts: 0 });
    assert.equal(started.grpcAddress, `${h2.address}:${started.grpcPort}`);
    assert.equal(execFileSync('ip', ['netns', 'identify', String(started.pid)], { encoding: 'utf8' }).trim(), h2.namespace);
    await assert.rejects(
      agent.start({ id: 'worker-1', role: 'worker', grpcPort: 8082, httpPort: 9082, restarts: 0 }),
      (e: unknown) => e instanceof HostAgentRefused && e.status === 409,
    );
    const consul = new ConsulApi(h2.consulHttp, { token: labShoalToken(lab.runDir) });
    const member = await waitFor(
      'worker-1 registered in Consul',
      async () => (await clusterMembers(consul, lab.layout.cluster)).find((m) => m.id === 'worker-1'),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    assert.equal(member.grpcAddress, started.grpcAddress);
    assert.doesNotMatch(member.grpcAddress, /^127\./);

    const stopped = await agent.stop('worker-1', { graceMs: 10_000 });
    assert.equal(stopped.running, false);
    assert.ok(stopped.exitedAtMs);
    assert.equal(alive(started.pid), false);

    const again = await agent.start({ id: 'worker-1', role: 'worker', grpcPort: 8082, httpPort: 9082, restarts: 1 });
    const killed = await agent.stop('worker-1', { kill: true });
    assert.equal(killed.exit, 'SIGKILL');
    assert.equal(alive(again.pid), false);
    await agent.forget('worker-1');
    assert.deepEqual((await agent.list()).processes, []);
  });
});

describe('lab down (root)', function () {
  this.timeout(120_000);
  const opts = (prefix: string, subnet: string) => ({ hosts: 3, prefix, subnet, runDir: `test-output/lab/${prefix}`, controlPlanes: false, dashboardPort: 0 });

  async function assertGone(prefix: string, pids: number[], runDir: string): Promise<void> {
    assert.deepEqual(
      (await namespaces()).filter((n) => n.startsWith(`${prefix}-`)),
      [],
    );
    assert.deepEqual(
      linkNames().filter((n) => n.startsWith(prefix)),
      [],
    );
    assert.deepEqual(pids.filter(alive), []);
    assert.equal(existsSync(runDir), false);
  }

  it('removes every namespace, link, process and the run dir, and a second down succeeds', async () => {
    const prefix = 'sld' + String(process.pid % 1000).padStart(3, '0');
    const layout = await upLab(opts(prefix, '10.250.1.0/24'));
    try {
      const pids = Object.values(layout.pids);
      await downLab(prefix, layout.runDir);
      await assertGone(prefix, pids, layout.runDir);
    } finally {
      await downLab(prefix, layout.runDir);
    }
  });

  it('cleans up by prefix a lab whose lab.json was deleted', async () => {
    const prefix = 'sle' + String(process.pid % 1000).padStart(3, '0');
    const layout = await upLab(opts(prefix, '10.250.2.0/24'));
    try {
      const pids = Object.values(layout.pids);
      rmSync(layoutFile(layout.runDir));
      await downLab(prefix, layout.runDir);
      await assertGone(prefix, pids, layout.runDir);
    } finally {
      await downLab(prefix, layout.runDir);
    }
  });
});
