import { type Link, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { ClusterEvent, ClusterEventKind, clusterEventKindToJSON } from '../../gen/shoal/v1/scale';

const tracer = trace.getTracer('shoal.control-plane');

/** Events kept in memory for WatchEvents and the metrics; older ones live in the decision log. */
const HISTORY = 500;
/** Observations of a node younger than this are linked from a decision about it. */
const LINK_WINDOW_MS = 60_000;

export type Details = Record<string, string | number | boolean>;

/** Where decisions are kept beyond this instance (the DecisionLog in Consul). */
export interface DecisionSink {
  append(event: ClusterEvent): void;
}

/**
 * Every observation and decision of this control-plane instance: a structured log line each,
 * a span each (a decision's span links the observations of its node that led to it), kept in
 * memory for WatchEvents, and for decisions appended to the decision log in Consul.
 */
export class EventJournal {
  private sequence = 0;
  private readonly history: ClusterEvent[] = [];
  private readonly listeners = new Set<(e: ClusterEvent) => void>();
  private readonly observations = new Map<string, { at: number; link: Link }[]>();

  constructor(
    private readonly controlPlaneId: string,
    private readonly logger: Logger,
    private readonly decisions: DecisionSink,
  ) {}

  /** Something seen: a node joined, left, broke its stream, Consul went away… */
  observe(kind: ClusterEventKind, nodeId: string, reason: string, details: Details = {}): void {
    // Each observation is a root span of its own; the decision it leads to links it.
    const span = tracer.startSpan(`observe ${kindName(kind)}`, { attributes: { 'shoal.node': nodeId, 'shoal.reason': reason, ...details } }, ROOT_CONTEXT);
    span.end();
    const links = (this.observations.get(nodeId) ?? []).filter((o) => Date.now() - o.at < LINK_WINDOW_MS);
    links.push({ at: Date.now(), link: { context: span.spanContext(), attributes: { 'shoal.observation': kindName(kind) } } });
    this.observations.set(nodeId, links.slice(-8));
    this.emit(this.event(kind, false, nodeId, reason, details, ''));
  }

  /**
   * A decision: `act` runs inside the decision's span (so what it calls, a failover, say, is
   * part of that trace), and the event is recorded with the details `act` returns. When `act`
   * throws, nothing is recorded as decided; the error goes to the caller.
   */
  async decide(kind: ClusterEventKind, nodeId: string, reason: string, act: (span: Span) => Promise<Details | void>): Promise<ClusterEvent> {
    const links = (this.observations.get(nodeId) ?? []).filter((o) => Date.now() - o.at < LINK_WINDOW_MS).map((o) => o.link);
    return tracer.startActiveSpan(`decide ${kindName(kind)}`, { links, attributes: { 'shoal.node': nodeId, 'shoal.reason': reason } }, async (span) => {
      try {
        const details = (await act(span)) ?? {};
        span.setAttributes(details);
        this.observations.delete(nodeId);
        const event = this.event(kind, true, nodeId, reason, details, span.spanContext().traceId);
        this.emit(event);
        this.decisions.append(event);
        return event;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** The events of this instance still in memory, oldest first. */
  recent(): ClusterEvent[] {
    return [...this.history];
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: (e: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private event(kind: ClusterEventKind, decision: boolean, nodeId: string, reason: string, details: Details, traceId: string): ClusterEvent {
    this.sequence += 1;
    return {
      sequence: this.sequence,
      atUnixMs: Date.now(),
      kind,
      decision,
      nodeId,
      reason,
      controlPlaneId: this.controlPlaneId,
      traceId,
      details: Object.entries(details).map(([key, value]) => ({ key, value: String(value) })),
    };
  }

  private emit(event: ClusterEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    const line = {
      event: kindName(event.kind),
      node: event.nodeId || undefined,
      reason: event.reason,
      ...detailsOf(event),
      traceId: event.traceId || undefined,
    };
    if (event.decision) this.logger.info(line, `decided: ${kindName(event.kind)}`);
    else this.logger.info(line, `observed: ${kindName(event.kind)}`);
    for (const listener of this.listeners) listener(event);
  }
}

/** An event's details as an object: { pid: "123", restarts: "1" }. */
export function detailsOf(event: ClusterEvent): Record<string, string> {
  return Object.fromEntries(event.details.map((d) => [d.key, d.value]));
}

/** "node_restarted" for CLUSTER_EVENT_KIND_NODE_RESTARTED. */
export function kindName(kind: ClusterEventKind): string {
  return clusterEventKindToJSON(kind).replace('CLUSTER_EVENT_KIND_', '').toLowerCase();
}
