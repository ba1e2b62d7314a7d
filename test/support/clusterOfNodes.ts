import { NodeProcess, type NodeSpec } from './nodeProcess';

/** Nodes started for one suite; `stopAll()` in `after` kills whatever is left, even after a failure. */
export class ClusterOfNodes {
  readonly nodes = new Map<string, NodeProcess>();
  readonly addresses = new Map<string, { grpc: string; http: string }>();

  constructor(
    private readonly consulAddress: string,
    readonly cluster: string,
    /** A cluster config file every node is started with. */
    private readonly configPath?: string,
  ) {}

  /** Starts nodes and waits until each serves (not yet until Consul sees them). */
  async start(specs: Omit<NodeSpec, 'consulAddress' | 'cluster'>[]): Promise<void> {
    const started = specs.map((spec) => this.spawn(spec));
    await Promise.all(started.map(async (node) => this.addresses.set(node.id, await node.serving())));
  }

  /** Starts (or restarts, keeping its data directory) one node of this cluster. */
  spawn(spec: Omit<NodeSpec, 'consulAddress' | 'cluster'>): NodeProcess {
    const args = [...(this.configPath ? ['--config', this.configPath] : []), ...(spec.args ?? [])];
    const node = NodeProcess.spawn({ ...spec, args, consulAddress: this.consulAddress, cluster: this.cluster });
    this.nodes.set(node.id, node);
    return node;
  }

  /** Restarts a node that exited, with the same id and data directory; resolves once it serves. */
  async restart(id: string): Promise<NodeProcess> {
    const old = this.node(id);
    await old.exited;
    const role = id === 'primary' ? 'primary' : id.startsWith('replica') ? 'replica' : 'worker';
    const node = this.spawn({ role, id: id === 'primary' ? undefined : id });
    this.addresses.set(id, await node.serving());
    return node;
  }

  node(id: string): NodeProcess {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id} in this test cluster`);
    return node;
  }

  grpc(id: string): string {
    return this.addresses.get(id)!.grpc;
  }

  http(id: string): string {
    return this.addresses.get(id)!.http;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.kill()));
  }
}

/** The seed's full cluster: 1 primary, 2 replicas, 2 workers. */
export const FULL_CLUSTER: Omit<NodeSpec, 'consulAddress' | 'cluster'>[] = [
  { role: 'primary' },
  { role: 'replica', id: 'replica-1' },
  { role: 'replica', id: 'replica-2' },
  { role: 'worker', id: 'worker-1' },
  { role: 'worker', id: 'worker-2' },
];
