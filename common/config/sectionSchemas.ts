import { z } from 'zod';
import { doc, hostPort, int, ms, oneOf, section, str, strings } from './fields';
import { PROBE_ENDPOINTS } from '../http/probeEndpoints';
import { ID_PATTERN } from './nodeIds';

export const consulSchema = section({
  address: doc(hostPort().default('127.0.0.1:8500'), {
    description: "host:port of the Consul HTTP API, best the agent on this process's own host; CONSUL_HTTP_ADDR overrides it.",
  }),
  fallbackAddresses: doc(z.array(hostPort(), { error: 'must be an array of host:port strings' }).default([]), {
    description:
      'Other Consul agents (or servers) to try, in order, when consul.address refuses or times out (1 s per address; a read unanswered for 250 ms is also sent to the next), so the loss of one agent does not blind a node, a control plane, the dashboard or the CLI.',
  }),
  token: doc(str().min(1, { error: 'must not be empty (leave it out when Consul runs without ACLs)' }).optional(), {
    description:
      "Consul ACL token sent with every Consul request (docs/security.md gives the smallest policy). CONSUL_HTTP_TOKEN_FILE overrides it, then CONSUL_HTTP_TOKEN, in the order of Consul's own client. Never logged.",
  }),
  tokenFile: doc(str().optional(), {
    description: "A file holding the ACL token instead (read at start; a relative path is the config file's directory's); not with consul.token.",
  }),
}).refine((c) => !(c.token && c.tokenFile), { error: 'set consul.token or consul.tokenFile, not both', path: ['tokenFile'] });

export const syncSchema = section({
  interval: doc(ms(100, 3_600_000).default(5000), { description: 'Anti-entropy period.', unit: 'ms' }),
  conflictResolution: doc(oneOf(['last-write-wins']).default('last-write-wins'), {
    description: "The seed's conflict rule.",
    noEffect: 'concurrent writes always resolve last-write-wins (the primary orders every write)',
  }),
  targets: doc(strings().default(['primary', 'replica-*']), {
    description: "The seed's node id patterns that hold the replicated state.",
    noEffect: 'the primary and the replicas always hold the state, whatever their ids',
  }),
  minAcks: doc(int(0, 100).optional(), {
    description:
      'Replicas that must have applied a write before it is acknowledged. 0 = asynchronous (fast; a failover can lose the last acknowledged writes). At most the replicas the config declares.',
    unit: 'replicas',
    defaultText: '1 when the config declares replicas, else 0',
  }),
  ackTimeout: doc(ms(10, 600_000).default(5000), { description: 'How long a write may wait for replicas when its call has no deadline.', unit: 'ms' }),
  fsync: doc(oneOf(['always', 'batch']).default('always'), {
    description: '"always": fsync every commit (survives power loss); "batch": fsync at checkpoints (survives kill -9).',
  }),
  retainEntries: doc(int(1, 100_000_000).default(100_000), {
    description: 'Log entries the primary keeps for replicas to catch up from; a replica further behind gets a snapshot.',
    unit: 'entries',
  }),
  heartbeatInterval: doc(ms(50, 60_000).default(250), {
    description:
      "How often the primary tells idle replicas it is alive, and they answer; three missed beats end the stream. A replica's silence since the last beat is its vote on whether the primary is gone.",
    unit: 'ms',
  }),
  primaryLease: doc(ms(100, 600_000).default(750), {
    description:
      'A primary that has heard from neither Consul nor a majority of the declared replicas for this long (counted from when the question was sent) stops answering default reads, watches and event leases (UNAVAILABLE, with the reason) until it hears again, and steps down once it reads a leader record naming another. Must be below controlPlane.failoverAfter, so the lease ends before a failover can promote another node; that gap bounds how stale a default read can be.',
    unit: 'ms',
  }),
});

export const healthSchema = section({
  interval: doc(ms(100, 3_600_000).default(30000), {
    description:
      "How often the control plane probes each node's HTTP health endpoints (the seed's probe). The probe logs and exports shoal_control_plane_http_probe_up; it does not drive failover (the status streams and Consul's checks do).",
    unit: 'ms',
  }),
  endpoints: doc(z.array(oneOf(PROBE_ENDPOINTS), { error: 'must be an array of strings' }).default(['/health/live', '/health/ready']), {
    description: `The HTTP endpoints the control plane probes on each node; each one of ${PROBE_ENDPOINTS.join(', ')}.`,
  }),
  timeout: doc(ms(10, 600_000).default(5000), {
    description: 'Timeout of one HTTP probe, and of the GRPC check registered in Consul for each node.',
    unit: 'ms',
  }),
  checkInterval: doc(ms(100, 600_000).default(1000), { description: 'Interval of the GRPC check registered in Consul.', unit: 'ms' }),
  deregisterCriticalAfter: doc(ms(60_000, 86_400_000).default(60000), {
    description: "Consul removes a service whose check stays critical this long (Consul's minimum is 60000).",
    unit: 'ms',
  }),
  samplePeriod: doc(ms(100, 60_000).default(250), {
    description: "Default period of Health.StreamStatus samples; the control plane's silence detection counts in these.",
    unit: 'ms',
  }),
  drainTimeout: doc(ms(0, 600_000).default(10000), { description: 'How long a stopping node lets in-flight calls finish before cancelling them.', unit: 'ms' }),
});

export const controlPlaneSchema = section({
  port: doc(int(0, 65535).default(7070), {
    description: 'First gRPC port (Scale service) to try; a second instance takes the next free one. 0 = any free port.',
  }),
  httpPort: doc(int(0, 65535).optional(), {
    description: 'First HTTP port (health, metrics) to try. 0 = any free port.',
    defaultText: 'port + 1000, or 0 when port is 0',
  }),
  token: doc(z.string({ error: 'must be a string' }).default(''), {
    description:
      'Bearer token that mutating Scale RPCs (Drain, Restart) require; none when empty. SHOAL_CONTROL_PLANE_TOKEN overrides it, so the token need not sit in a file.',
  }),
  reconcileInterval: doc(ms(50, 60_000).default(500), { description: 'How often the reconcile loop runs when nothing wakes it earlier.', unit: 'ms' }),
  restartBackoffInitial: doc(ms(0, 600_000).default(200), {
    description: 'First wait before restarting a node that died; it doubles per restart in a row.',
    unit: 'ms',
  }),
  restartBackoffMax: doc(ms(0, 3_600_000).default(10000), {
    description: 'Longest wait between restarts of a node that keeps dying; not below restartBackoffInitial.',
    unit: 'ms',
  }),
  suspectAfter: doc(ms(100, 600_000).default(3000), {
    description:
      'A node whose process runs but that has had no status sample (and no passing Consul check) for this long is suspected; a suspected primary is failed over.',
    unit: 'ms',
  }),
  failoverAfter: doc(ms(100, 600_000).default(1000), {
    description:
      'The primary is failed over once the control plane has had no status sample from it for this long and a majority of the declared replicas have not heard from it for this long either (or its process is known to be gone). A primary that only the control plane cannot reach keeps its role.',
    unit: 'ms',
  }),
  replaceUnreachableAfter: doc(ms(0, 3_600_000).default(5000), {
    description:
      'A worker on a host the placement cannot reach is replaced by a new worker on another host after this long. A replica there is left alone until its host answers or an operator runs `shoal forget`.',
    unit: 'ms',
  }),
  startTimeout: doc(ms(1000, 600_000).default(20000), { description: 'A started node must pass in Consul within this long, or it is replaced.', unit: 'ms' }),
  decisionLogSize: doc(int(1, 10_000).default(200), {
    description: 'Decisions kept in Consul KV at shoal/<cluster>/decisions (the newest).',
    unit: 'decisions',
  }),
});

export const placementSchema = section({
  kind: doc(oneOf(['local', 'lab']).default('local'), {
    description:
      '"local": the control plane starts nodes as child processes on its own machine. "lab": it asks the host agent of each lab host (`shoal lab up`) over the lab network.',
  }),
  agents: doc(z.record(z.string().regex(ID_PATTERN, { error: 'must be a host name: lowercase letters, digits and dashes' }), hostPort()).default({}), {
    description: "For the lab placement: each host's name and its host agent's host:port. `shoal lab up` writes them.",
  }),
});

export const eventsSchema = section({
  leaseMs: doc(ms(100, 3_600_000).default(30000), { description: 'How long a worker holds a leased event before it goes to another worker.', unit: 'ms' }),
  maxAttempts: doc(int(1, 100).default(5), {
    description: 'Deliveries an event gets before it is dead-lettered (failed, timed out or expired).',
    unit: 'deliveries',
  }),
  handlerTimeout: doc(ms(10, 3_600_000).default(25000), {
    description:
      'How long a handler may run before it is aborted and the delivery counts as failed; below events.leaseMs, or a handler still running when its lease expires would run twice at once.',
    unit: 'ms',
  }),
  concurrency: doc(int(1, 1000).default(4), { description: 'Events a worker runs at once.', unit: 'events' }),
  dedupeWindow: doc(ms(0, 86_400_000).default(120_000), {
    description:
      'How long a done event published with an idempotency key is kept, so publishing that key again is answered as a duplicate; then it is removed from every node. Events without a key are removed when acked: nothing can ask for them again.',
    unit: 'ms',
  }),
  handlers: doc(str().optional(), {
    description: 'A module of event handlers every worker loads (the --handlers flag of a worker started by hand wins), relative to the config file.',
    defaultText: 'none: the built-ins only',
  }),
});

export const tlsSchema = section({
  caFile: doc(str(), {
    description:
      "The cluster's CA certificate (PEM, `shoal certs create` makes it): every peer's certificate must be signed by it. A relative path is the config file's directory's.",
  }),
  certFile: doc(str(), {
    description:
      "This process's certificate (PEM). {name} stands for the process's certificate name: a state node's id, `worker`, `control-plane` (the dashboard too), `operator` (the CLI).",
  }),
  keyFile: doc(str(), { description: 'The key of certFile (PEM), {name} as there.' }),
  reloadInterval: doc(ms(100, 3_600_000).default(10_000), {
    description: 'How often the files are read again; a changed, valid set is used for every connection made after it (no restart).',
    unit: 'ms',
  }),
});

/** A dashboard token: empty, or long enough that guessing it is hopeless, and safe in a URL and a header. */
const DASHBOARD_TOKEN = /^$|^[\x21-\x7e]{16,512}$/;

export const dashboardSchema = section({
  token: doc(
    z
      .string({ error: 'must be a string' })
      .regex(DASHBOARD_TOKEN, { error: 'must be empty or 16 to 512 printable ASCII characters without spaces (e.g. the output of `openssl rand -hex 32`)' })
      .default(''),
    {
      description:
        'Login token the dashboard requires (in ?token=, the /login form, or Authorization: Bearer). When empty, a dashboard on loopback requires none, and one listening beyond loopback generates a random one at each start and prints its login URL once (not in its JSON log). SHOAL_DASHBOARD_TOKEN overrides it, so the token need not sit in a file.',
    },
  ),
});

export const topLevelFields = {
  version: doc(str().default('1.0.0'), { description: 'Schema version.' }),
  name: doc(str().regex(ID_PATTERN, { error: 'must be lowercase letters, digits and dashes' }).default('local'), {
    description: 'Cluster name: Consul service shoal-<name>, KV prefix shoal/<name>/.',
  }),
  description: doc(str().optional(), { description: 'Free text about the cluster, for people.' }),
};
