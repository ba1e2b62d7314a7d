import { type AgentProcess, HOST_AGENT_PATH, type ProcessList, type StartRequest, type StopRequest } from '../../common/lab/hostAgentProtocol';

/** The host agent answered with an error status (the agent was reached: it said no). */
export class HostAgentRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HostAgentRefused';
  }
}

/**
 * Talks to one lab host agent (common/lab/hostAgentProtocol.ts) over HTTP. Every call has its
 * own deadline: an agent behind a partition must cost the caller a short, known wait, never a
 * TCP timeout. A call that times out or cannot connect rejects with the fetch error (the host
 * may be gone or cut off: nothing is known of its processes); one the agent refuses rejects
 * with HostAgentRefused.
 */
export class HostAgentClient {
  /** @param address host:port of the agent on its host's lab address. */
  constructor(
    readonly address: string,
    private readonly timeoutMs = 1000,
  ) {}

  list(timeoutMs = this.timeoutMs): Promise<ProcessList> {
    return this.request<ProcessList>('GET', HOST_AGENT_PATH, undefined, timeoutMs);
  }

  start(request: StartRequest): Promise<AgentProcess> {
    return this.request<AgentProcess>('POST', HOST_AGENT_PATH, request, this.timeoutMs * 5);
  }

  /** Resolves once the process has exited; a drain may take `graceMs`, so the deadline covers it. */
  stop(id: string, how: StopRequest): Promise<AgentProcess> {
    const wait = (how.kill ? 0 : (how.graceMs ?? 0)) + this.timeoutMs * 5;
    return this.request<AgentProcess>('POST', `${HOST_AGENT_PATH}/${encodeURIComponent(id)}/stop`, how, wait);
  }

  setDrained(id: string, drained: boolean): Promise<AgentProcess> {
    return this.request<AgentProcess>('PATCH', `${HOST_AGENT_PATH}/${encodeURIComponent(id)}`, { drained }, this.timeoutMs);
  }

  async forget(id: string): Promise<void> {
    await this.request<undefined>('DELETE', `${HOST_AGENT_PATH}/${encodeURIComponent(id)}`, undefined, this.timeoutMs);
  }

  private async request<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    const res = await fetch(`http://${this.address}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) {
      const why = safeJson<{ error?: string }>(text)?.error ?? (text || res.statusText);
      throw new HostAgentRefused(res.status, `host agent ${this.address}: ${method} ${path}: ${why}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function safeJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
