import { EventEmitter } from 'node:events';
import Consul from 'consul';

/** A service instance as Consul's /v1/health/service endpoint returns it. */
export interface ConsulServiceEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Tags: string[] | null; Address: string; Port: number; Meta: Record<string, string> | null };
  Checks: { CheckID: string; Name: string; Status: 'passing' | 'warning' | 'critical'; Output: string; ServiceID: string }[];
}

/** What a node registers: Consul's agent service definition, the fields shoal uses. */
export interface ServiceRegistration {
  id: string;
  name: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  check: {
    name: string;
    /** host:port Consul's GRPC check dials (grpc.health.v1.Health/Check). */
    grpc: string;
    /**
     * The node requires mutual TLS: Consul dials it with TLS and presents its agent's certificate
     * (`enable_agent_tls_for_checks`, a `consul` certificate of the cluster's CA). It does not
     * check the node's certificate, whose names Consul 1.8 would compare with its own node name.
     */
    tls?: boolean;
    interval: string;
    timeout: string;
    deregisterCriticalServiceAfter: string;
    /**
     * The check's status until it first runs (Consul waits up to an interval before that).
     * "passing" for a service that registers only once it serves. @default "critical"
     */
    initialStatus?: 'passing' | 'critical';
  };
}

/** Options of a read that may block until Consul's index passes `index`. */
export interface BlockingOptions {
  index?: string;
  /** How long Consul may hold a blocking query. @default "30s" */
  wait?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** A KV entry's value and the index to compare-and-set against. */
export interface KvItem {
  value: string;
  modifyIndex: number;
  /** The session holding the entry's lock, if any. */
  session?: string;
}

/** A blocking query's answer: the body and the X-Consul-Index to pass to the next query. */
export interface Indexed<T> {
  index: string;
  value: T;
}

/** How a ConsulApi reaches Consul beyond its first address. */
export interface ConsulApiOptions {
  /** Other agents (or servers) to try, in order, when one cannot be connected to or times out (consul.fallbackAddresses). */
  fallbackAddresses?: readonly string[];
  /**
   * The longest a non-blocking request may take on one address, ms; a caller's longer timeout
   * is cut to it. Where a decision waits on Consul (the control plane) this is short, so a cut
   * off agent costs a second, not five. @default no cap
   */
  maxTimeoutMs?: number;
  /**
   * A plain read (a KV get, a health list, the Raft leader) not answered within this many ms is
   * also sent to the next address, and so on; the first answer wins. An agent whose link to its
   * server hangs then costs this, not a whole timeout per address. Writes are never sent twice
   * (a compare-and-set that succeeded on one agent would fail on the other). @default no hedging
   */
  hedgeReadsAfterMs?: number;
  /** The ACL token sent with every request (consul.token / CONSUL_HTTP_TOKEN); none when Consul runs without ACLs. */
  token?: string;
}

/**
 * The small part of Consul's HTTP API that shoal uses, typed, with cancellation. The npm
 * `consul` client returns the X-Consul-Index only when the request's ctx has
 * `includeResponse`, and cancels a request when that ctx emits `cancel`; both are wrapped here.
 *
 * It survives the loss of one agent: a non-blocking request that cannot connect, times out or
 * finds an agent cut off from its servers (its 5xx says so) is tried on the next address within the call
 * (a plain read, with hedgeReadsAfterMs, also on the next once one is slow); a blocking query
 * that fails so moves the next query to the next address. The address that last answered is
 * tried first.
 */
export class ConsulApi {
  /** Every address, the first one first. */
  readonly addresses: readonly string[];
  private readonly clients: Consul[];
  /** Index of the address tried first (the one that last answered). */
  private current = 0;

  /** @param address host:port of the Consul HTTP API (this host's agent). */
  constructor(
    readonly address: string,
    private readonly options: ConsulApiOptions = {},
  ) {
    this.addresses = [address, ...(options.fallbackAddresses ?? []).filter((a) => a !== address)];
    this.clients = this.addresses.map((a) => {
      const [host, port] = a.split(':');
      return new Consul({ host, port: Number(port), ...(options.token ? { defaults: { token: options.token } } : {}) });
    });
  }

  /**
   * What leaves this class of a failed request: a 403 said in terms of shoal's config
   * (ConsulRefused; Consul's ACLs answer "ACL not found" for a token they do not know and
   * "Permission denied" when the token, or the anonymous one, lacks the rule), any other error
   * as its message alone. The client's errors carry the request, its headers (the ACL token)
   * included, which a logger would print with the error.
   */
  private explained(err: unknown): Error {
    const e = err as Error & { isResponse?: boolean; statusCode?: number };
    if (e.isResponse && e.statusCode === 403) return new ConsulRefused(e.message ?? '', this.options.token !== undefined);
    return withoutRequest(e);
  }

  /** The address requests go to first now (the one that last answered). */
  get currentAddress(): string {
    return this.addresses[this.current];
  }

  /**
   * Runs a non-blocking request on each address in turn, from the current one, until one
   * answers; the last failure is thrown (naming every address tried) when none does.
   */
  private async anyAgent<T>(timeoutMs: number, run: (client: Consul, timeoutMs: number) => Promise<T>): Promise<T> {
    const timeout = Math.min(timeoutMs, this.options.maxTimeoutMs ?? timeoutMs);
    const tried: string[] = [];
    let last: unknown;
    for (let i = 0; i < this.clients.length; i++) {
      const at = (this.current + i) % this.clients.length;
      try {
        const answer = await run(this.clients[at], timeout);
        this.current = at;
        return answer;
      } catch (err) {
        if (!agentFailed(err)) throw this.explained(err);
        last = err;
        tried.push(`${this.addresses[at]}: ${(err as Error).message}`);
      }
    }
    if (this.clients.length === 1) throw withoutRequest(last as Error);
    throw new Error(`no Consul agent answered (${tried.join('; ')})`);
  }

  /**
   * A read for anyAgent, hedged when hedgeReadsAfterMs is set: from the current address, each
   * next address is asked too once the previous ones have been silent that long (or failed), and
   * the first answer wins. Fails, naming every address, once all have failed.
   */
  private read<T>(timeoutMs: number, run: (client: Consul, timeoutMs: number) => Promise<T>): Promise<T> {
    const hedgeMs = this.options.hedgeReadsAfterMs;
    if (hedgeMs === undefined || this.clients.length === 1) return this.anyAgent(timeoutMs, run);
    const timeout = Math.min(timeoutMs, this.options.maxTimeoutMs ?? timeoutMs);
    return new Promise<T>((resolve, reject) => {
      const tried: string[] = [];
      let asked = 0;
      let failed = 0;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const askNext = () => {
        clearTimeout(timer);
        if (done || asked === this.clients.length) return;
        const at = (this.current + asked++) % this.clients.length;
        run(this.clients[at], timeout).then(
          (answer) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            this.current = at;
            resolve(answer);
          },
          (err: Error) => {
            if (done) return;
            if (!agentFailed(err)) {
              done = true;
              clearTimeout(timer);
              reject(this.explained(err));
              return;
            }
            tried.push(`${this.addresses[at]}: ${err.message}`);
            if (++failed === this.clients.length) {
              done = true;
              reject(new Error(`no Consul agent answered (${tried.join('; ')})`));
            } else askNext();
          },
        );
        if (asked < this.clients.length) timer = setTimeout(askNext, hedgeMs);
      };
      askNext();
    });
  }

  async registerService(reg: ServiceRegistration, timeoutMs = 5000): Promise<void> {
    await this.anyAgent(timeoutMs, (client, timeout) => this.register(client, reg, timeout));
  }

  private async register(client: Consul, reg: ServiceRegistration, timeoutMs: number): Promise<void> {
    await client.agent.service.register({
      id: reg.id,
      name: reg.name,
      address: reg.address,
      port: reg.port,
      tags: reg.tags,
      meta: reg.meta,
      check: {
        name: reg.check.name,
        grpc: reg.check.grpc,
        grpcusetls: reg.check.tls === true,
        ...(reg.check.tls ? { tlsskipverify: true } : {}),
        interval: reg.check.interval,
        timeout: reg.check.timeout,
        deregistercriticalserviceafter: reg.check.deregisterCriticalServiceAfter,
        ...(reg.check.initialStatus ? { status: reg.check.initialStatus } : {}),
      },
      timeout: timeoutMs,
    } as unknown as Parameters<Consul['agent']['service']['register']>[0]);
  }

  async deregisterService(id: string, timeoutMs = 5000): Promise<void> {
    await this.anyAgent(timeoutMs, (client, timeout) =>
      client.agent.service.deregister({ id, timeout } as unknown as Parameters<Consul['agent']['service']['deregister']>[0]),
    );
  }

  /**
   * Instances of a service with their checks. With `index`, a blocking query: Consul answers
   * when something changed or after `wait`. Aborting `signal` cancels the request.
   */
  async healthService(service: string, opts: BlockingOptions = {}): Promise<Indexed<ConsulServiceEntry[]>> {
    const { index, value } = await this.blocking<ConsulServiceEntry[] | undefined>(
      (client, request) => client.health.service(request as { service: string }),
      { service },
      opts,
    );
    return { index, value: value ?? [] };
  }

  /** A KV entry (undefined when absent), optionally as a blocking query like healthService. */
  async kvGet(key: string, opts: BlockingOptions = {}): Promise<Indexed<KvItem | undefined>> {
    const { index, value } = await this.blocking<{ Value: string | null; ModifyIndex: number; Session?: string } | undefined>(
      (client, request) => client.kv.get(request as { key: string }),
      { key },
      opts,
    );
    return { index, value: value ? { value: value.Value ?? '', modifyIndex: value.ModifyIndex, session: value.Session } : undefined };
  }

  /** Writes a KV entry, whatever it held. */
  async kvPut(key: string, value: string, timeoutMs = 5000): Promise<void> {
    const ok: unknown = await this.anyAgent(timeoutMs, (client, timeout) => client.kv.set({ key, value, timeout } as { key: string; value: string }));
    if (ok !== true) throw new Error(`Consul did not write ${key}`);
  }

  /**
   * Writes a KV entry only if its ModifyIndex is still `cas` (0: only if it does not exist).
   * @returns false when someone else changed it first.
   */
  async kvCas(key: string, value: string, cas: number, timeoutMs = 5000): Promise<boolean> {
    // The client's types lack the per-call timeout every method accepts.
    const ok: unknown = await this.anyAgent(timeoutMs, (client, timeout) =>
      client.kv.set({ key, value, cas, timeout } as { key: string; value: string; cas: number }),
    );
    return ok === true;
  }

  /**
   * Creates a session that Consul invalidates as soon as one of `checks` turns critical
   * (behavior "release": locks it holds are released). No TTL: liveness is the checks'.
   * @returns the session id.
   */
  async sessionCreate(opts: { name: string; checks: string[]; lockDelay: string }, timeoutMs = 5000): Promise<string> {
    const created = await this.anyAgent(timeoutMs, (client, timeout) =>
      client.session.create({
        name: opts.name,
        checks: opts.checks,
        lockdelay: opts.lockDelay,
        behavior: 'release',
        timeout,
      } as unknown as Parameters<Consul['session']['create']>[0]),
    );
    return created.ID;
  }

  async sessionDestroy(id: string, timeoutMs = 5000): Promise<void> {
    await this.anyAgent(timeoutMs, (client, timeout) => client.session.destroy({ id, timeout } as unknown as Parameters<Consul['session']['destroy']>[0]));
  }

  /** Whether the session still exists (a critical check invalidates it). */
  async sessionExists(id: string, timeoutMs = 5000): Promise<boolean> {
    const info: unknown = await this.read(timeoutMs, (client, timeout) =>
      client.session.info({ id, timeout } as unknown as Parameters<Consul['session']['info']>[0]),
    );
    return info !== undefined && info !== null && !(Array.isArray(info) && info.length === 0);
  }

  /**
   * Takes the lock on `key` for `session`, writing `value`.
   * @returns false when another session holds it.
   */
  async kvAcquire(key: string, value: string, session: string, timeoutMs = 5000): Promise<boolean> {
    const ok: unknown = await this.anyAgent(timeoutMs, (client, timeout) =>
      client.kv.set({ key, value, acquire: session, timeout } as { key: string; value: string }),
    );
    return ok === true;
  }

  /** Releases the lock on `key` if `session` holds it. */
  async kvRelease(key: string, session: string, timeoutMs = 5000): Promise<void> {
    await this.anyAgent(timeoutMs, (client, timeout) => client.kv.set({ key, value: '', release: session, timeout } as { key: string; value: string }));
  }

  /**
   * One request with the X-Consul-Index returned, optionally blocking, cancellable. A plain read
   * goes to each address in turn until one answers; a blocking query stays on one address (it
   * may be held for `wait`), and when it fails so the next query goes to the next address.
   */
  private async blocking<T>(
    call: (client: Consul, request: Record<string, unknown>) => Promise<unknown>,
    params: Record<string, unknown>,
    opts: BlockingOptions,
  ): Promise<Indexed<T>> {
    if (opts.index === undefined) return this.read(opts.timeoutMs ?? 5000, (client, timeout) => this.indexed<T>(client, call, params, opts, timeout));
    const at = this.current;
    try {
      // Consul holds a blocking query for `wait` plus up to wait/16 of jitter.
      return await this.indexed<T>(this.clients[at], call, params, opts, opts.timeoutMs ?? 40_000);
    } catch (err) {
      if (agentFailed(err) && !opts.signal?.aborted && this.current === at) this.current = (at + 1) % this.clients.length;
      throw this.explained(err);
    }
  }

  private async indexed<T>(
    client: Consul,
    call: (client: Consul, request: Record<string, unknown>) => Promise<unknown>,
    params: Record<string, unknown>,
    opts: BlockingOptions,
    timeoutMs: number,
  ): Promise<Indexed<T>> {
    // A fresh ctx per request: the client marks one finished once its request is done.
    const ctx = new EventEmitter() as EventEmitter & { includeResponse: boolean };
    ctx.includeResponse = true;
    const onAbort = () => ctx.emit('cancel');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const request: Record<string, unknown> = { ...params, ctx, timeout: timeoutMs };
      if (opts.index !== undefined) {
        request.index = opts.index;
        request.wait = opts.wait ?? '30s';
      }
      const [res, body] = (await call(client, request)) as [{ headers: Record<string, string> }, T];
      return { index: res.headers['x-consul-index'] ?? '0', value: body };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The address of the Consul raft leader; throws when the agent cannot be reached. */
  async leader(timeoutMs = 2000): Promise<string> {
    const leader: unknown = await this.read(timeoutMs, (client, timeout) =>
      client.status.leader({ timeout } as unknown as Parameters<Consul['status']['leader']>[0]),
    );
    return typeof leader === 'string' ? leader : '';
  }

  /** True when the agent answers and its cluster has a leader. */
  async isReachable(timeoutMs = 2000): Promise<boolean> {
    try {
      return (await this.leader(timeoutMs)) !== '';
    } catch {
      return false;
    }
  }
}

/** Consul's ACLs refused a request: the token is unknown, missing, or lacks a rule of the policy. */
export class ConsulRefused extends Error {
  /** What is wrong with the token, in terms of shoal's config, for a ConfigError's rule. */
  readonly problem: string;

  constructor(consulMessage: string, hadToken: boolean) {
    // The client prefixes Consul's own words ("ACL not found") with its call's name.
    const said = consulMessage.replace(/^consul: [\w.]+: /, '') || '403';
    let problem: string;
    if (!hadToken) problem = `is not set, and Consul's ACLs refuse anonymous requests (${said})`;
    else if (/acl not found/i.test(said)) problem = `is not a token Consul knows (${said})`;
    else problem = `lacks a rule of shoal's Consul policy (${said})`;
    problem += '; docs/security.md gives the policy, `shoal consul-policy` prints it';
    super(`Consul refused the request: the ACL token (consul.token, consul.tokenFile, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE) ${problem}`);
    this.name = 'ConsulRefused';
    this.problem = problem;
  }
}

/** A client error as a plain one: its message, name and stack, without the request it holds. */
function withoutRequest(err: Error): Error {
  const plain = new Error(err.message);
  plain.name = err.name;
  plain.stack = err.stack;
  return plain;
}

/** Consul's 5xx answers that mean the agent cannot reach its servers (another agent may), not that the request is wrong. */
const AGENT_CUT_OFF = /no known consul servers|no cluster leader|rpc error|i\/o timeout|internal server error/i;

/**
 * Whether a request failed for want of an agent (worth trying another): it could not connect,
 * timed out, or the agent answered 5xx because it cannot reach its servers. Any other answer
 * (a 4xx, or a 5xx about the request such as a missing check) is Consul's, the same from every
 * agent; a cancelled request was the caller's choice.
 */
function agentFailed(err: unknown): boolean {
  const e = err as { isAbort?: boolean; isResponse?: boolean; statusCode?: number; isValidation?: boolean; message?: string };
  if (e.isAbort || e.isValidation) return false;
  if (e.isResponse) return (e.statusCode ?? 0) >= 500 && AGENT_CUT_OFF.test(e.message ?? '');
  return true;
}

/** The Consul service name of a cluster. */
export function serviceNameOf(cluster: string): string {
  return `shoal-${cluster}`;
}
