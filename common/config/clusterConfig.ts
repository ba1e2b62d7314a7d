import { ConfigError } from './ConfigError';

/**
 * The cluster schema, in the seed's `clusterSchema` shape (nodes, sync, health) with shoal's
 * additions (cluster name, Consul, counts and HTTP ports per node template). It is parsed once,
 * at start; nothing after that reads raw JSON.
 */
export interface ClusterConfig {
  /** Schema version. @default "1.0.0" */
  version: string;
  /** Cluster name: Consul service `shoal-<name>`, KV prefix `shoal/<name>/`. @default "local" */
  name: string;
  consul: ConsulConfig;
  nodes: NodeTemplate[];
  sync: SyncConfig;
  health: HealthConfig;
  controlPlane: ControlPlaneConfig;
  events: EventsConfig;
  scaling: ScalingConfig;
}

export type RoleName = 'primary' | 'replica' | 'worker';
export const ROLE_NAMES: readonly RoleName[] = ['primary', 'replica', 'worker'];

export interface ConsulConfig {
  /** host:port of the Consul HTTP API; CONSUL_HTTP_ADDR overrides it. @default "127.0.0.1:8500" */
  address: string;
}

/** One kind of node. A template with `count` > 1 yields ids `<id>-1` … `<id>-<count>`. */
export interface NodeTemplate {
  id: string;
  type: RoleName;
  /** How many nodes this template declares. @default 1 */
  count: number;
  config: {
    /** Free-form label from the seed (coordinator, read-replica, processor). */
    role: string;
    /** First gRPC port to try; instances take free ports upward from here. 0 = any free port. */
    port: number;
    /** First HTTP port to try (health, metrics). 0 = any free port. @default port + 1000 */
    httpPort: number;
    /**
     * The seed's field: whom replicas follow. Replicas always follow the current primary, so it
     * may only name the primary template (it is accepted so the seed's file parses as written).
     */
    replicateFrom?: string;
  };
}

export interface SyncConfig {
  /** Anti-entropy period, ms. @default 5000 */
  interval: number;
  conflictResolution: 'last-write-wins';
  /** Node id patterns that hold the replicated state. @default ["primary", "replica-*"] */
  targets: string[];
  /**
   * Replicas that must have applied a write before it is acknowledged. 0 = asynchronous
   * (fast; a failover can lose the last acknowledged writes).
   * @default 1 when the config declares replicas, else 0
   */
  minAcks: number;
  /** How long a write may wait for replicas when its call has no deadline, ms. @default 5000 */
  ackTimeout: number;
  /** "always": fsync every commit (survives power loss); "batch": fsync at checkpoints (survives kill -9). @default "always" */
  fsync: 'always' | 'batch';
  /** Log entries the primary keeps for replicas to catch up from; further behind gets a snapshot. @default 100000 */
  retainEntries: number;
  /** How often the primary tells idle replicas it is alive, ms; three missed beats end the stream. @default 1000 */
  heartbeatInterval: number;
}

export interface HealthConfig {
  /** The seed's health-probe interval, ms: how often the control plane probes. @default 30000 */
  interval: number;
  /** HTTP endpoints each node serves. @default ["/health/live", "/health/ready"] */
  endpoints: string[];
  /** Probe timeout, ms. @default 5000 */
  timeout: number;
  /** Interval of the GRPC check registered in Consul, ms. @default 1000 */
  checkInterval: number;
  /** Consul removes a service whose check stays critical this long, ms (Consul's minimum is 60000). @default 60000 */
  deregisterCriticalAfter: number;
  /** Default period of Health.StreamStatus samples, ms. @default 1000 */
  samplePeriod: number;
  /** How long a stopping node lets in-flight calls finish before cancelling them, ms. @default 10000 */
  drainTimeout: number;
}

export interface ControlPlaneConfig {
  /** First gRPC port (Scale service) to try; a second instance takes the next free one. 0 = any. @default 7070 */
  port: number;
  /** First HTTP port (health, metrics) to try. 0 = any. @default port + 1000 */
  httpPort: number;
  /**
   * Bearer token that mutating Scale RPCs (Drain, Restart) require; none when empty.
   * SHOAL_CONTROL_PLANE_TOKEN overrides it, so the token need not sit in a file.
   * @default ""
   */
  token: string;
  /** How often the reconcile loop runs when nothing wakes it earlier, ms. @default 500 */
  reconcileInterval: number;
  /** First wait before restarting a node that died, ms; it doubles per restart in a row. @default 200 */
  restartBackoffInitial: number;
  /** Longest wait between restarts of a node that keeps dying, ms. @default 10000 */
  restartBackoffMax: number;
  /**
   * A node whose process runs but that has had no status sample (and no passing Consul check)
   * for this long is suspected, ms; a suspected primary is failed over.
   * @default 3000
   */
  suspectAfter: number;
  /** A started node must pass in Consul within this long, or it is replaced, ms. @default 20000 */
  startTimeout: number;
  /** Decisions kept in Consul KV at shoal/<cluster>/decisions (the newest). @default 200 */
  decisionLogSize: number;
}

export interface EventsConfig {
  /** How long a worker holds a leased event before it goes to another worker, ms. @default 30000 */
  leaseMs: number;
  /** Deliveries an event gets before it is dead-lettered (failed, timed out or expired). @default 5 */
  maxAttempts: number;
  /** How long a handler may run before it is aborted and the delivery counts as failed, ms. @default 25000 */
  handlerTimeout: number;
  /** Events a worker runs at once. @default 4 */
  concurrency: number;
  /**
   * How long a done event published with an idempotency key is kept, so publishing that key
   * again is answered as a duplicate, ms; then it is removed from every node. Events without a
   * key are removed when acked: nothing can ask for them again. @default 120000
   */
  dedupeWindow: number;
  /**
   * A module of event handlers every worker loads (the --handlers flag of a worker started by
   * hand wins), relative to the config file. @default none: the built-ins only
   */
  handlers?: string;
}

/** Autoscaling of workers (the seed's thresholds as defaults); Scale.SetPolicy can replace it. */
export interface ScalingConfig {
  /** Whether the control plane scales workers on its own. @default true */
  enabled: boolean;
  /** @default the worker template's count */
  minWorkers: number;
  /** @default max(minWorkers, 6) */
  maxWorkers: number;
  /** Scale up when the workers' average cpu stays above this, percent. @default 80 */
  scaleUpCpuPercent: number;
  /** Scale down when it stays below this, percent. @default 20 */
  scaleDownCpuPercent: number;
  /** Scale up when pending events per worker stay above this. @default 50 */
  scaleUpBacklogPerWorker: number;
  /** Scale down only while at most this many events are pending. @default 0 */
  scaleDownBacklog: number;
  /** How long the scale-up condition must hold, ms. @default 10000 */
  upWindowMs: number;
  /** How long the scale-down condition must hold, ms. @default 30000 */
  downWindowMs: number;
  /** No scaling for this long after a scaling action, ms. @default 15000 */
  cooldownMs: number;
  /** Workers added or removed per action. @default 1 */
  step: number;
}

/**
 * Why a scaling policy cannot work, naming the field; undefined when it can. Shared by the
 * config and Scale.SetPolicy.
 */
export function scalingPolicyProblem(p: ScalingConfig): { field: string; problem: string } | undefined {
  if (p.maxWorkers < p.minWorkers) return { field: 'maxWorkers', problem: `is ${p.maxWorkers}, below minWorkers (${p.minWorkers})` };
  if (p.maxWorkers > 100) return { field: 'maxWorkers', problem: 'must be at most 100' };
  if (p.step < 1 || p.step > 100) return { field: 'step', problem: 'must be from 1 to 100' };
  if (!(p.scaleDownCpuPercent >= 0 && p.scaleUpCpuPercent <= 100 && p.scaleDownCpuPercent < p.scaleUpCpuPercent)) {
    return { field: 'scaleDownCpuPercent', problem: `must be below scaleUpCpuPercent, both from 0 to 100 (got ${p.scaleDownCpuPercent} and ${p.scaleUpCpuPercent})` };
  }
  if (!(p.scaleUpBacklogPerWorker > 0)) return { field: 'scaleUpBacklogPerWorker', problem: 'must be above 0' };
  for (const f of ['upWindowMs', 'downWindowMs', 'cooldownMs'] as const) {
    if (!Number.isInteger(p[f]) || p[f] < 0 || p[f] > 3_600_000) return { field: f, problem: 'must be a whole number of milliseconds from 0 to 3600000' };
  }
  return undefined;
}

/** What a node's HTTP listener serves. */
export const HTTP_ENDPOINTS: readonly string[] = ['/health/live', '/health/ready', '/metrics'];

const ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `id` is a valid node id: lowercase letters, digits and dashes, 1–63 long (a DNS label, as Consul expects). */
export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * Validates an unknown value (parsed JSON) into a ClusterConfig, filling defaults.
 * @throws ConfigError naming the first wrong field.
 */
export function parseClusterConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): ClusterConfig {
  const root = object(raw ?? {}, '(config)');
  if (root.orchestration !== undefined) {
    throw new ConfigError('orchestration', "is the seed's wrapper: put its nodes, sync and health at the top level of the file");
  }
  onlyKeys(root, ['version', 'name', 'description', 'consul', 'nodes', 'sync', 'health', 'controlPlane', 'events', 'scaling'], '');
  const name = optional(root, 'name', 'local', str);
  if (!isValidNodeId(name)) throw new ConfigError('name', 'must be lowercase letters, digits and dashes');
  const consul = object(root.consul ?? {}, 'consul');
  onlyKeys(consul, ['address'], 'consul.');
  const nodesRaw = root.nodes ?? defaultNodes();
  if (!Array.isArray(nodesRaw) || nodesRaw.length === 0) throw new ConfigError('nodes', 'must be a non-empty array');
  const nodes = nodesRaw.map((n, i) => parseNodeTemplate(n, `nodes[${i}]`));
  checkTemplates(nodes);
  const declaredReplicas = nodes.filter((n) => n.type === 'replica').reduce((sum, n) => sum + n.count, 0);
  const sync = object(root.sync ?? {}, 'sync');
  onlyKeys(sync, ['interval', 'conflictResolution', 'targets', 'minAcks', 'ackTimeout', 'fsync', 'retainEntries', 'heartbeatInterval'], 'sync.');
  const health = object(root.health ?? {}, 'health');
  onlyKeys(health, ['interval', 'endpoints', 'timeout', 'checkInterval', 'deregisterCriticalAfter', 'samplePeriod', 'drainTimeout'], 'health.');
  const cp = object(root.controlPlane ?? {}, 'controlPlane');
  onlyKeys(cp, ['port', 'httpPort', 'token', 'reconcileInterval', 'restartBackoffInitial', 'restartBackoffMax', 'suspectAfter', 'startTimeout', 'decisionLogSize'], 'controlPlane.');
  const cpPort = optional(cp, 'port', 7070, int(0, 65535), 'controlPlane.');
  const sc = object(root.scaling ?? {}, 'scaling');
  onlyKeys(sc, ['enabled', 'minWorkers', 'maxWorkers', 'scaleUpCpuPercent', 'scaleDownCpuPercent', 'scaleUpBacklogPerWorker', 'scaleDownBacklog', 'upWindowMs', 'downWindowMs', 'cooldownMs', 'step'], 'scaling.');
  const declaredWorkers = nodes.filter((n) => n.type === 'worker').reduce((sum, n) => sum + n.count, 0);
  const minWorkers = optional(sc, 'minWorkers', declaredWorkers, int(0, 100), 'scaling.');
  const ev = object(root.events ?? {}, 'events');
  onlyKeys(ev, ['leaseMs', 'maxAttempts', 'handlerTimeout', 'concurrency', 'dedupeWindow', 'handlers'], 'events.');
  const config: ClusterConfig = {
    version: optional(root, 'version', '1.0.0', str),
    name,
    consul: {
      // CONSUL_HTTP_ADDR wins over the file, as it does for every Consul tool.
      address: env.CONSUL_HTTP_ADDR
        ? hostPort(env.CONSUL_HTTP_ADDR, 'CONSUL_HTTP_ADDR')
        : optional(consul, 'address', '127.0.0.1:8500', hostPort, 'consul.'),
    },
    nodes,
    sync: {
      interval: optional(sync, 'interval', 5000, ms(100, 3_600_000), 'sync.'),
      conflictResolution: optional(sync, 'conflictResolution', 'last-write-wins', oneOf(['last-write-wins'] as const), 'sync.'),
      targets: optional(sync, 'targets', ['primary', 'replica-*'], strings, 'sync.'),
      minAcks: optional(sync, 'minAcks', Math.min(1, declaredReplicas), int(0, 100), 'sync.'),
      ackTimeout: optional(sync, 'ackTimeout', 5000, ms(10, 600_000), 'sync.'),
      fsync: optional(sync, 'fsync', 'always', oneOf(['always', 'batch'] as const), 'sync.'),
      retainEntries: optional(sync, 'retainEntries', 100_000, int(1, 100_000_000), 'sync.'),
      heartbeatInterval: optional(sync, 'heartbeatInterval', 1000, ms(50, 60_000), 'sync.'),
    },
    health: {
      interval: optional(health, 'interval', 30000, ms(100, 3_600_000), 'health.'),
      endpoints: optional(health, 'endpoints', ['/health/live', '/health/ready'], strings, 'health.'),
      timeout: optional(health, 'timeout', 5000, ms(10, 600_000), 'health.'),
      checkInterval: optional(health, 'checkInterval', 1000, ms(100, 600_000), 'health.'),
      deregisterCriticalAfter: optional(health, 'deregisterCriticalAfter', 60000, ms(60_000, 86_400_000), 'health.'),
      samplePeriod: optional(health, 'samplePeriod', 1000, ms(100, 60_000), 'health.'),
      drainTimeout: optional(health, 'drainTimeout', 10000, ms(0, 600_000), 'health.'),
    },
    controlPlane: {
      port: cpPort,
      httpPort: optional(cp, 'httpPort', cpPort === 0 ? 0 : cpPort + 1000, int(0, 65535), 'controlPlane.'),
      token: env.SHOAL_CONTROL_PLANE_TOKEN ?? (cp.token === undefined || cp.token === '' ? '' : str(cp.token, 'controlPlane.token')),
      reconcileInterval: optional(cp, 'reconcileInterval', 500, ms(50, 60_000), 'controlPlane.'),
      restartBackoffInitial: optional(cp, 'restartBackoffInitial', 200, ms(0, 600_000), 'controlPlane.'),
      restartBackoffMax: optional(cp, 'restartBackoffMax', 10000, ms(0, 3_600_000), 'controlPlane.'),
      suspectAfter: optional(cp, 'suspectAfter', 3000, ms(100, 600_000), 'controlPlane.'),
      startTimeout: optional(cp, 'startTimeout', 20000, ms(1000, 600_000), 'controlPlane.'),
      decisionLogSize: optional(cp, 'decisionLogSize', 200, int(1, 10_000), 'controlPlane.'),
    },
    events: {
      leaseMs: optional(ev, 'leaseMs', 30000, ms(100, 3_600_000), 'events.'),
      maxAttempts: optional(ev, 'maxAttempts', 5, int(1, 100), 'events.'),
      handlerTimeout: optional(ev, 'handlerTimeout', 25000, ms(10, 3_600_000), 'events.'),
      concurrency: optional(ev, 'concurrency', 4, int(1, 1000), 'events.'),
      dedupeWindow: optional(ev, 'dedupeWindow', 120_000, ms(0, 86_400_000), 'events.'),
      handlers: ev.handlers === undefined ? undefined : str(ev.handlers, 'events.handlers'),
    },
    scaling: {
      enabled: optional(sc, 'enabled', true, bool, 'scaling.'),
      minWorkers,
      maxWorkers: optional(sc, 'maxWorkers', Math.max(minWorkers, 6), int(0, 100), 'scaling.'),
      scaleUpCpuPercent: optional(sc, 'scaleUpCpuPercent', 80, int(1, 100), 'scaling.'),
      scaleDownCpuPercent: optional(sc, 'scaleDownCpuPercent', 20, int(0, 99), 'scaling.'),
      scaleUpBacklogPerWorker: optional(sc, 'scaleUpBacklogPerWorker', 50, int(1, 1_000_000), 'scaling.'),
      scaleDownBacklog: optional(sc, 'scaleDownBacklog', 0, int(0, 1_000_000), 'scaling.'),
      upWindowMs: optional(sc, 'upWindowMs', 10000, ms(0, 3_600_000), 'scaling.'),
      downWindowMs: optional(sc, 'downWindowMs', 30000, ms(0, 3_600_000), 'scaling.'),
      cooldownMs: optional(sc, 'cooldownMs', 15000, ms(0, 3_600_000), 'scaling.'),
      step: optional(sc, 'step', 1, int(1, 100), 'scaling.'),
    },
  };
  const policyProblem = scalingPolicyProblem(config.scaling);
  if (policyProblem) throw new ConfigError(`scaling.${policyProblem.field}`, policyProblem.problem);
  if (config.events.handlerTimeout >= config.events.leaseMs) {
    throw new ConfigError('events.handlerTimeout', `is ${config.events.handlerTimeout}, not below events.leaseMs (${config.events.leaseMs}): a handler still running when its lease expires would run twice at once`);
  }
  if (config.controlPlane.restartBackoffMax < config.controlPlane.restartBackoffInitial) {
    throw new ConfigError('controlPlane.restartBackoffMax', `is ${config.controlPlane.restartBackoffMax}, below controlPlane.restartBackoffInitial (${config.controlPlane.restartBackoffInitial})`);
  }
  if (config.sync.minAcks > declaredReplicas) {
    throw new ConfigError('sync.minAcks', `is ${config.sync.minAcks}, but the config declares only ${declaredReplicas} replica(s): no write could ever be acknowledged`);
  }
  config.health.endpoints.forEach((endpoint, i) => {
    if (!HTTP_ENDPOINTS.includes(endpoint)) throw new ConfigError(`health.endpoints[${i}]`, `must be one of the endpoints a node serves: ${HTTP_ENDPOINTS.join(', ')}`);
  });
  return config;
}

/** The seed's three templates: one primary on 8080, replicas from 8081, workers from 8082. */
function defaultNodes(): unknown[] {
  return [
    { id: 'primary', type: 'primary', config: { role: 'coordinator', port: 8080 } },
    { id: 'replica', type: 'replica', count: 2, config: { role: 'read-replica', port: 8081 } },
    { id: 'worker', type: 'worker', count: 2, config: { role: 'processor', port: 8082 } },
  ];
}

const DEFAULT_LABEL: Record<RoleName, string> = { primary: 'coordinator', replica: 'read-replica', worker: 'processor' };

function parseNodeTemplate(raw: unknown, at: string): NodeTemplate {
  const n = object(raw, at);
  onlyKeys(n, ['id', 'type', 'count', 'config'], `${at}.`);
  const id = required(n, 'id', str, `${at}.`);
  if (!isValidNodeId(id)) throw new ConfigError(`${at}.id`, 'must be lowercase letters, digits and dashes, 1-63 long');
  const type = required(n, 'type', oneOf(ROLE_NAMES), `${at}.`);
  const count = optional(n, 'count', 1, int(0, 100), `${at}.`);
  if (type === 'primary' && count !== 1) throw new ConfigError(`${at}.count`, 'must be 1 for the primary');
  const c = object(n.config ?? {}, `${at}.config`);
  onlyKeys(c, ['role', 'port', 'httpPort', 'replicateFrom'], `${at}.config.`);
  const port = optional(c, 'port', 0, int(0, 65535), `${at}.config.`);
  const httpDefault = port === 0 ? 0 : port + 1000;
  return {
    id,
    type,
    count,
    config: {
      role: optional(c, 'role', DEFAULT_LABEL[type], str, `${at}.config.`),
      port,
      httpPort: optional(c, 'httpPort', httpDefault, int(0, 65535), `${at}.config.`),
      replicateFrom: c.replicateFrom === undefined ? undefined : str(c.replicateFrom, `${at}.config.replicateFrom`),
    },
  };
}

function checkTemplates(nodes: NodeTemplate[]): void {
  const primaries = nodes.filter((n) => n.type === 'primary');
  if (primaries.length > 1) throw new ConfigError('nodes', 'must declare at most one primary template');
  const ids = new Map<string, number>();
  nodes.forEach((n, i) => {
    // Ids are checked as the nodes will carry them: "replica" with count 2 is replica-1, replica-2.
    for (const id of nodeIdsOf(n)) {
      const first = ids.get(id);
      if (first !== undefined) throw new ConfigError(`nodes[${i}].id`, `declares node "${id}", which nodes[${first}] declares already`);
      ids.set(id, i);
    }
    const from = n.config.replicateFrom;
    if (from !== undefined && (n.type !== 'replica' || from !== primaries[0]?.id)) {
      throw new ConfigError(`nodes[${i}].config.replicateFrom`, `can only be set on a replica template and name the primary ("${primaries[0]?.id ?? 'none declared'}"): replicas follow whichever node is primary`);
    }
  });
}

/** Every node id the config declares, in its order. */
export function declaredNodeIds(config: ClusterConfig): string[] {
  return config.nodes.flatMap(nodeIdsOf);
}

/** The node ids a template declares: its id when count is 1, else `<id>-1` … `<id>-<count>`. */
export function nodeIdsOf(template: NodeTemplate): string[] {
  if (template.count === 1) return [template.id];
  return Array.from({ length: template.count }, (_, i) => `${template.id}-${i + 1}`);
}

// Field readers: each takes the value and the field's path, returns the typed value or throws.
type Reader<T> = (value: unknown, field: string) => T;

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(field, 'must be an object');
  return value as Record<string, unknown>;
}

function required<T>(o: Record<string, unknown>, key: string, read: Reader<T>, prefix = ''): T {
  if (o[key] === undefined) throw new ConfigError(prefix + key, 'is required');
  return read(o[key], prefix + key);
}

function optional<T>(o: Record<string, unknown>, key: string, fallback: T, read: Reader<T>, prefix = ''): T {
  return o[key] === undefined ? fallback : read(o[key], prefix + key);
}

/** Rejects keys the schema does not know: a typo must not silently fall back to a default. */
function onlyKeys(o: Record<string, unknown>, allowed: string[], prefix: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new ConfigError(prefix + key, `is not a known field (known here: ${allowed.join(', ')})`);
  }
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, 'must be true or false');
  return value;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(field, 'must be a non-empty string');
  return value;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(field, 'must be an array of strings');
  return value.map((v, i) => str(v, `${field}[${i}]`));
}

function int(min: number, max: number): Reader<number> {
  return (value, field) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(field, `must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

function ms(min: number, max: number): Reader<number> {
  return (value, field) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(field, `must be a whole number of milliseconds from ${min} to ${max}`);
    }
    return value;
  };
}

function oneOf<T extends string>(allowed: readonly T[]): Reader<T> {
  return (value, field) => {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(field, `must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}

function hostPort(value: unknown, field: string): string {
  const s = str(value, field).replace(/^https?:\/\//, '');
  if (!/^[^:\s/]+:\d{1,5}$/.test(s) || Number(s.split(':')[1]) > 65535) {
    throw new ConfigError(field, `must be host:port (got "${String(value)}")`);
  }
  return s;
}
