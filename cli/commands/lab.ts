import { parseArgs } from 'node:util';
import { MemberHealth } from '../../gen/shoal/v1/node';
import { agentConsul } from '../../common/consul/clusterConsul';
import { labConsulTokenFiles } from '../../lab/consul/labConsulSecurity';
import { clusterMembers } from '../../common/cluster/memberFromConsul';
import { waitFor } from '../../common/time/waitFor';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { declaredNodeIds } from '../../common/config/clusterConfig';
import { type LabLayout, consulServers, defaultLabRunDir, readLayout } from '../../lab/layout';
import { downLab, labExists, upLab } from '../../lab/Lab';
import { checkLabRequirements } from '../../lab/ip';
import { cut, isolate, resolvePeers } from '../../lab/faults/networkFaults';
import { killTarget, pause, resume } from '../../lab/faults/processFaults';
import { heal } from '../../lab/faults/heal';
import { CliError } from '../CliError';
import { operatorTransport } from '../clusterOptions';
import { intOption } from '../intOption';
import { clusterStatus, controlPlaneStatus, formatControlPlane, formatStatusTable } from '../local/clusterStatus';
import { formatUrls } from '../local/urls';
import { withHostColumn } from '../lab/labStatus';
import { nodeHosts } from '../../lab/nodeHosts';

export const LAB_HELP = `Usage: shoal lab COMMAND [options]   (Linux, root; see docs/lab.md)

A lab of hosts on this machine: each host a network namespace on a private bridge, a three-server
Consul cluster, a host agent per host that starts shoal nodes there, two control planes on two
hosts, and the dashboard here. Faults are commands; the control plane is never told of them.

Commands:
  up [--hosts 5] [--name N] [--subnet CIDR] [--config FILE] [--run-dir DIR] [--dashboard-port 3000]
              [--timeout MS] [--no-cluster]
              build the lab and wait until the primary and replicas pass in Consul
  status [--json]   the nodes with their host
  env         print the exports that point other shoal commands at the lab (eval "$(shoal lab env)")
  down        remove every process, namespace, link and the run dir of the lab (also after a crash)
  isolate HOST                       take all of HOST's links down, both ways
  cut HOST --from HOST[,HOST…]|consul [--one-way]
                                     drop traffic between HOST and those hosts (one way: only theirs to HOST)
  pause HOST / resume HOST           SIGSTOP / SIGCONT every process on HOST
  heal                               undo every cut and isolate, resume paused hosts
  kill NODE | consul-N               SIGKILL a node, or the N-th Consul server

Common options: --run-dir DIR (default .run/lab, or SHOAL_LAB_DIR), -h/--help.`;

const UP_HELP = `Usage: shoal lab up [--hosts N] [--name N] [--subnet CIDR] [--config FILE] [--run-dir DIR] [--dashboard-port N] [--timeout MS] [--no-cluster]

  --hosts N            hosts (namespaces), at least 3 (default 5); Consul servers on the last three
  --name N             the lab's name, prefix of its namespaces and links (default shoal; 1-8 of a-z0-9)
  --subnet CIDR        private /24 that exists only in the lab (default 10.77.0.0/24)
  --config FILE        the declared cluster (default deploy/local/cluster.json)
  --run-dir DIR        lab.json, the lab's cluster.json, logs and data (default .run/lab, or SHOAL_LAB_DIR)
  --dashboard-port N   the dashboard on localhost (default 3000; 0: none)
  --timeout MS         how long to wait for the primary and replicas to pass (default 90000)
  --no-cluster         hosts, Consul and agents only: no control planes, no dashboard`;

interface Common {
  runDir: string;
}

function layoutOf({ runDir }: Common): LabLayout {
  const layout = readLayout(runDir);
  if (!layout) throw new CliError(`no lab in ${runDir} (no lab.json): \`shoal lab up\` makes one, --run-dir names another`);
  return layout;
}

function stamp(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

export async function lab(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') return (console.log(LAB_HELP), command ? 0 : 2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      hosts: { type: 'string' },
      name: { type: 'string' },
      subnet: { type: 'string' },
      config: { type: 'string' },
      'run-dir': { type: 'string' },
      'dashboard-port': { type: 'string' },
      timeout: { type: 'string' },
      'no-cluster': { type: 'boolean' },
      json: { type: 'boolean' },
      from: { type: 'string' },
      'one-way': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(command === 'up' ? UP_HELP : LAB_HELP), 0);
  const common: Common = { runDir: values['run-dir'] ?? defaultLabRunDir() };
  const one = (what: string): string => {
    if (positionals.length !== 1) throw new CliError(`shoal lab ${command} takes one ${what} (got ${positionals.length})`);
    return positionals[0];
  };
  if (command !== 'env' && command !== 'status')
    await checkLabRequirements().catch((err: Error) => {
      throw new CliError(err.message);
    });
  try {
    switch (command) {
      case 'up':
        return await labUp(values, common);
      case 'status':
        return await labStatus(layoutOf(common), values.json === true);
      case 'env': {
        const layout = layoutOf(common);
        console.log(`export CONSUL_HTTP_ADDR=${consulServers(layout)[0].consulHttp}`);
        console.log(`export SHOAL_LAB_DIR=${layout.runDir}`);
        // The lab's config: its Consul servers as fallbacks and its TLS certificates.
        console.log(`export SHOAL_CONFIG=${layout.clusterConfig}`);
        // The lab's Consul runs with ACLs; the consul CLI takes shoal's token too (its policy reads the cluster).
        console.log(`export CONSUL_HTTP_TOKEN_FILE=${labConsulTokenFiles(layout.runDir).shoal}`);
        return 0;
      }
      case 'down': {
        const layout = readLayout(common.runDir);
        const prefix = values.name ?? layout?.prefix ?? 'shoal';
        const removed = await downLab(prefix, common.runDir);
        stamp(
          `lab "${prefix}" is down: ${removed.processes} processes killed, namespaces removed: ${removed.namespaces.join(', ') || 'none'}; ` +
            `links: ${removed.links.join(', ') || 'none'}; run dir: ${removed.runDir ?? 'none'}`,
        );
        return 0;
      }
      case 'isolate':
        return (stamp(await isolate(layoutOf(common), one('HOST'))), 0);
      case 'cut': {
        const layout = layoutOf(common);
        const host = one('HOST');
        if (!values.from) throw new CliError('shoal lab cut HOST needs --from HOST[,HOST…] or --from consul');
        return (stamp(await cut(layout, host, resolvePeers(layout, host, values.from), values['one-way'] === true)), 0);
      }
      case 'pause':
        return (stamp(await pause(layoutOf(common), one('HOST'))), 0);
      case 'resume':
        return (stamp(await resume(layoutOf(common), one('HOST'))), 0);
      case 'heal': {
        const done = await heal(layoutOf(common));
        return (stamp(done.length ? `healed: ${done.join('; ')}` : 'nothing to heal'), 0);
      }
      case 'kill':
        return (stamp(await killTarget(layoutOf(common), one('NODE or consul-N'))), 0);
      default:
        throw new CliError(`unknown lab command "${command}". See \`shoal lab --help\`.`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
}

async function labUp(values: Record<string, string | boolean | undefined>, common: Common): Promise<number> {
  const prefix = (values.name as string | undefined) ?? 'shoal';
  const existing = readLayout(common.runDir);
  if (await labExists(prefix)) {
    console.log(`Lab "${prefix}" is already up${existing ? ` (since ${existing.createdAt})` : ''}; not starting another. \`shoal lab down\` removes it.\n`);
    return existing ? labStatus(existing, false) : 0;
  }
  const timeoutMs = intOption('--timeout', values.timeout as string | undefined, 90_000, { min: 1 });
  const withCluster = values['no-cluster'] !== true;
  const started = Date.now();
  const layout = await upLab({
    hosts: intOption('--hosts', values.hosts as string | undefined, 5, { min: 3, max: 20 }),
    prefix,
    subnet: (values.subnet as string | undefined) ?? '10.77.0.0/24',
    runDir: common.runDir,
    config: values.config as string | undefined,
    controlPlanes: withCluster,
    dashboardPort: withCluster ? intOption('--dashboard-port', values['dashboard-port'] as string | undefined, 3000, { max: 65535 }) : 0,
    log: console.log,
  });
  if (!withCluster)
    return (console.log(`Lab "${prefix}" is up (no cluster) in ${((Date.now() - started) / 1000).toFixed(1)} s; layout in ${common.runDir}/lab.json`), 0);
  const config = loadClusterConfig(layout.clusterConfig, {});
  const stateNodes = config.nodes.filter((n) => n.type !== 'worker');
  const wanted = declaredNodeIds(config).filter((id) => stateNodes.some((n) => id === n.id || id.startsWith(`${n.id}-`)));
  const consul = agentConsul({ ...config.consul, address: consulServers(layout)[0].consulHttp });
  let missing: string[] = wanted;
  await waitFor(
    'the primary and replicas to pass in Consul',
    async () => {
      const members = await clusterMembers(consul, layout.cluster);
      const passing = new Set(members.filter((m) => m.health === MemberHealth.MEMBER_HEALTH_PASSING).map((m) => m.id));
      missing = wanted.filter((id) => !passing.has(id));
      console.log(
        `  ${wanted.length - missing.length}/${wanted.length} of ${wanted.join(', ')} passing${missing.length ? `; waiting for ${missing.join(', ')}` : ''}`,
      );
      return missing.length === 0;
    },
    { timeoutMs, intervalMs: 1000 },
  ).catch(() => {
    throw new CliError(
      `the cluster did not form within ${timeoutMs} ms: ${missing.join(', ')} not passing in Consul. Logs: ${layout.runDir}/<host>/logs; \`shoal lab down\` removes the lab.`,
    );
  });
  console.log(
    `Lab "${prefix}" is up: cluster "${layout.cluster}" formed across ${layout.hosts.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
  );
  return labStatus(layout, false);
}

async function labStatus(layout: LabLayout, json: boolean): Promise<number> {
  const config = loadClusterConfig(layout.clusterConfig, {});
  const consul = agentConsul({ ...config.consul, address: consulServers(layout)[0].consulHttp });
  const transport = operatorTransport(config);
  const [rows, hosts] = await Promise.all([clusterStatus(consul, layout.cluster, transport.channel()), nodeHosts(layout)]);
  if (json) {
    console.log(
      JSON.stringify(
        {
          lab: layout.name,
          nodes: rows.map((r) => ({ id: r.member.id, grpcAddress: r.member.grpcAddress, health: r.member.health, host: hosts.get(r.member.id) ?? null })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(withHostColumn(formatStatusTable(rows), rows, hosts));
  console.log(formatControlPlane(await controlPlaneStatus(consul, layout.cluster)));
  console.log('');
  if (layout.monitor) console.log(`Dashboard:  ${layout.monitor.url}`);
  console.log(formatUrls(consul.address, layout.cluster, undefined, rows, transport, layout.clusterConfig));
  console.log(`lab:        eval "$(shoal lab env)"; shoal lab isolate h1; shoal lab heal   (layout: ${layout.runDir}/lab.json)`);
  return rows.every((r) => r.member.health === MemberHealth.MEMBER_HEALTH_PASSING) ? 0 : 1;
}
