import { NodeProcess, type NodeSpec } from './nodeProcess';

/** Nodes started for one suite; `stopAll()` in `after` kills whatever is left, even after a failure. */
export class ClusterOfNodes {
  readonly nodes = new Map<string, NodeProcess>();
  readonly addresses = new Map<string, { grpc: string; http: string }>();

  constructor(
    private readonly consulAddress: string,
    readonly cluster: string,
  ) {}

  /** Starts nodes and waits until each serves (not yet until Consul sees them). */
  async start(specs: Omit<NodeSpec, 'consulAddress' | 'cluster'>[]): Promise<void> {
    const started = specs.map((spec) => NodeProcess.spawn({ ...spec, consulAddress: this.consulAddress, cluster: this.cluster }));
    for (const node of started) this.nodes.set(node.id, node);
    await Promise.all(started.map(async (node) => this.addresses.set(node.id, await node.serving())));
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
