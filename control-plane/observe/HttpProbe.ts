import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { pause } from '../../common/time/pause';

/** A node to probe: its id and the host:port of its HTTP listener. */
export interface ProbeTarget {
  id: string;
  /** host:port; a node that registered no HTTP port has '' and is skipped. */
  httpAddress: string;
}

export interface HttpProbeOptions {
  /** The nodes to probe, read afresh each round (the observer's members). */
  targets: () => Iterable<ProbeTarget>;
  /** Paths probed on each node (health.endpoints). */
  endpoints: readonly string[];
  /** Time between the starts of two rounds, ms (health.interval). */
  intervalMs: number;
  /** Time one request may take, ms (health.timeout). */
  timeoutMs: number;
  logger: Logger;
  /** Where the gauge shoal_control_plane_http_probe_up is registered. */
  registry: Registry;
}

/** The outcome of one endpoint's last probe. */
export interface ProbeResult {
  up: boolean;
  /** The status code, or why there was none ("timed out after 5000 ms", "connect ECONNREFUSED …"). */
  detail: string;
}

/**
 * The seed's HTTP health probe: every `intervalMs`, a GET of each endpoint of each node, within
 * `timeoutMs`; a 2xx answer is up. A node whose endpoint starts failing is logged as a warning,
 * its recovery as info, and the gauge shoal_control_plane_http_probe_up{node,endpoint} says 1 or
 * 0. It decides nothing: failover follows the status streams and Consul's checks.
 */
export class HttpProbe {
  private readonly last = new Map<string, Map<string, ProbeResult>>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: HttpProbeOptions) {
    const last = this.last;
    new Gauge({
      name: 'shoal_control_plane_http_probe_up',
      help: "1 when the node's HTTP endpoint answered the control plane's last probe with 2xx, else 0.",
      labelNames: ['node', 'endpoint'],
      registers: [opts.registry],
      collect() {
        this.reset();
        for (const [node, byEndpoint] of last) for (const [endpoint, r] of byEndpoint) this.set({ node, endpoint }, r.up ? 1 : 0);
      },
    });
  }

  /** The last result of each node's endpoints, by node id then path. */
  get results(): ReadonlyMap<string, ReadonlyMap<string, ProbeResult>> {
    return this.last;
  }

  start(): void {
    this.loop ??= this.run(this.stopping.signal);
  }

  /** Ends the loop; a round under way is cancelled. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = Date.now();
      await this.round(signal);
      await pause(Math.max(0, this.opts.intervalMs - (Date.now() - started)), signal);
    }
  }

  /** Probes every endpoint of every target once, all at the same time. */
  private async round(signal: AbortSignal): Promise<void> {
    const targets = [...this.opts.targets()].filter((t) => t.httpAddress);
    // Nodes gone from the cluster leave the gauge too.
    for (const id of this.last.keys()) if (!targets.some((t) => t.id === id)) this.last.delete(id);
    await Promise.all(targets.flatMap((t) => this.opts.endpoints.map((endpoint) => this.probe(t, endpoint, signal))));
  }

  private async probe(target: ProbeTarget, endpoint: string, signal: AbortSignal): Promise<void> {
    const result = await get(`http://${target.httpAddress}${endpoint}`, this.opts.timeoutMs, signal);
    if (signal.aborted) return;
    const byEndpoint = this.last.get(target.id) ?? new Map<string, ProbeResult>();
    this.last.set(target.id, byEndpoint);
    const before = byEndpoint.get(endpoint);
    byEndpoint.set(endpoint, result);
    const fields = { node: target.id, endpoint, address: target.httpAddress, detail: result.detail };
    if (!result.up && before?.up !== false) this.opts.logger.warn(fields, 'HTTP health probe failing');
    else if (result.up && before?.up === false) this.opts.logger.info(fields, 'HTTP health probe passing again');
  }
}

async function get(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    // The body is not needed; reading it frees the connection.
    await res.arrayBuffer();
    return { up: res.ok, detail: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { up: false, detail: e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.message ?? e.message) };
  }
}
