import type { Logger } from 'pino';
import { ClusterEvent } from '../../gen/shoal/v1/scale';
import type { ConsulApi } from '../../common/consul/ConsulApi';

export function decisionLogKey(cluster: string): string {
  return `shoal/${cluster}/decisions`;
}

/**
 * The newest decisions, kept in Consul KV (one key, a JSON array, bounded to `size`), so they
 * outlive the control plane that made them: a standby that takes over, `shoal events` and the
 * dashboard read the same history. Appends are queued and written by compare-and-set; a
 * decision is never held up by them.
 */
export class DecisionLog {
  private queue: ClusterEvent[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly consul: ConsulApi,
    private readonly cluster: string,
    private readonly size: number,
    private readonly logger: Logger,
  ) {}

  append(event: ClusterEvent): void {
    this.queue.push(event);
    this.writing ??= this.flush().finally(() => (this.writing = undefined));
  }

  /** Waits until what was appended so far is written (or given up on). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async read(): Promise<ClusterEvent[]> {
    const { value } = await this.consul.kvGet(decisionLogKey(this.cluster));
    return value ? parse(value.value) : [];
  }

  private async flush(): Promise<void> {
    for (let attempt = 0; this.queue.length > 0 && attempt < 20; attempt++) {
      // Events appended while this batch is written wait for the next round.
      const batch = this.queue.splice(0);
      let written = false;
      try {
        const { value } = await this.consul.kvGet(decisionLogKey(this.cluster));
        const next = [...(value ? parse(value.value) : []), ...batch].slice(-this.size);
        written = await this.consul.kvCas(decisionLogKey(this.cluster), JSON.stringify(next.map((e) => ClusterEvent.toJSON(e))), value?.modifyIndex ?? 0);
        if (written) attempt = -1;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, pending: this.queue.length + batch.length }, 'cannot write the decision log to Consul; retrying');
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        if (!written) this.queue.unshift(...batch);
      }
    }
  }
}

function parse(text: string): ClusterEvent[] {
  try {
    return (JSON.parse(text) as unknown[]).map((e) => ClusterEvent.fromJSON(e));
  } catch {
    return [];
  }
}
