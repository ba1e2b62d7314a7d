import { z } from 'zod';
import { doc } from './fields';
import { nodesSchema } from './nodesSchema';
import { scalingIssues, scalingSchema } from './scalingSchema';
import { consulSchema, controlPlaneSchema, eventsSchema, healthSchema, placementSchema, syncSchema, tlsSchema, topLevelFields } from './sectionSchemas';
import { dashboardSchema } from './sectionSchemas';

const rootShape = {
  $schema: doc(z.string().optional(), { description: 'The JSON Schema editors check this file against; the parser ignores it.' }),
  ...topLevelFields,
  consul: doc(consulSchema.prefault({}), { description: 'Where the Consul agent is.' }),
  nodes: nodesSchema,
  sync: doc(syncSchema.prefault({}), { description: 'Replication of the state store from the primary to the replicas.' }),
  health: doc(healthSchema.prefault({}), { description: "Health checks in Consul, the control plane's HTTP probes, status samples and draining." }),
  controlPlane: doc(controlPlaneSchema.prefault({}), { description: 'The control plane: its ports, token, reconcile loop, restarts and failure detection.' }),
  placement: doc(placementSchema.prefault({}), { description: 'Where the control plane runs the nodes it starts.' }),
  events: doc(eventsSchema.prefault({}), { description: 'The event queue that workers lease events from.' }),
  scaling: doc(scalingSchema.prefault({}), { description: 'Autoscaling of workers; Scale.SetPolicy can replace it at run time.' }),
  dashboard: doc(dashboardSchema.prefault({}), { description: 'The dashboard (shoal-monitor): its login token (docs/security.md#the-dashboard).' }),
  tls: doc(tlsSchema.optional(), {
    description:
      'Mutual TLS on every gRPC server and client of the cluster (docs/security.md). Without it every hop is plaintext, and a process serves beyond loopback only with --insecure.',
  }),
};
const knownKeys = Object.keys(rootShape).filter((k) => k !== '$schema');

/**
 * The cluster config file, in the seed's `clusterSchema` shape (nodes, sync, health) with
 * shoal's additions (cluster name, Consul, control plane, events, scaling). Its output has every
 * default filled, those that depend on other fields included, and has passed the rules between
 * fields. The JSON Schema (`z.toJSONSchema(clusterSchema, { io: 'input' })`) describes the file.
 */
export const clusterSchema = z
  .strictObject(rootShape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return 'must be an object';
      if (iss.keys.includes('orchestration')) return "is the seed's wrapper: put its nodes, sync and health at the top level of the file";
      return `is not a known field (known here: ${knownKeys.join(', ')})`;
    },
  })
  .transform(({ $schema: _ignored, ...c }, ctx) => {
    const declared = (type: string) => c.nodes.filter((n) => n.type === type).reduce((sum, n) => sum + n.count, 0);
    const replicas = declared('replica');
    const minWorkers = c.scaling.minWorkers ?? declared('worker');
    const config = {
      ...c,
      sync: { ...c.sync, minAcks: c.sync.minAcks ?? Math.min(1, replicas) },
      controlPlane: { ...c.controlPlane, httpPort: c.controlPlane.httpPort ?? (c.controlPlane.port === 0 ? 0 : c.controlPlane.port + 1000) },
      scaling: { ...c.scaling, minWorkers, maxWorkers: c.scaling.maxWorkers ?? Math.max(minWorkers, 6) },
    };
    ctx.issues.push(...crossFieldIssues(config, replicas));
    return config;
  });

/** The rules between fields of different sections, checked once every default is filled. */
function crossFieldIssues(c: ClusterConfigShape, replicas: number): z.core.$ZodRawIssue[] {
  const issues = scalingIssues(c.scaling, ['scaling']);
  const at = (path: string[], message: string) => issues.push({ code: 'custom', path, message, input: c });
  if (c.events.handlerTimeout >= c.events.leaseMs) {
    at(
      ['events', 'handlerTimeout'],
      `is ${c.events.handlerTimeout}, not below events.leaseMs (${c.events.leaseMs}): a handler still running when its lease expires would run twice at once`,
    );
  }
  if (c.controlPlane.restartBackoffMax < c.controlPlane.restartBackoffInitial) {
    at(
      ['controlPlane', 'restartBackoffMax'],
      `is ${c.controlPlane.restartBackoffMax}, below controlPlane.restartBackoffInitial (${c.controlPlane.restartBackoffInitial})`,
    );
  }
  const hosts = Object.keys(c.placement.agents);
  if (c.placement.kind === 'lab' && hosts.length === 0) at(['placement', 'agents'], 'must name at least one host agent for the lab placement');
  c.nodes.forEach((n, i) => {
    const unknown = (n.config.hosts ?? []).filter((h) => !hosts.includes(h));
    if (c.placement.kind === 'lab' && unknown.length)
      at(['nodes', String(i), 'config', 'hosts'], `names ${unknown.join(', ')}, not among placement.agents (${hosts.join(', ')})`);
  });
  if (c.sync.primaryLease >= c.controlPlane.failoverAfter) {
    at(
      ['sync', 'primaryLease'],
      `is ${c.sync.primaryLease}, not below controlPlane.failoverAfter (${c.controlPlane.failoverAfter}): an isolated primary would still answer default reads after a failover promoted another node`,
    );
  }
  if (c.sync.minAcks > replicas)
    at(['sync', 'minAcks'], `is ${c.sync.minAcks}, but the config declares only ${replicas} replica(s): no write could ever be acknowledged`);
  return issues;
}

interface ClusterConfigShape {
  placement: { kind: string; agents: Record<string, string> };
  nodes: { config: { hosts?: string[] } }[];
  sync: { minAcks: number; primaryLease: number };
  events: { handlerTimeout: number; leaseMs: number };
  controlPlane: { restartBackoffInitial: number; restartBackoffMax: number; failoverAfter: number };
  scaling: Parameters<typeof scalingIssues>[0];
}
