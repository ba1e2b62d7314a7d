import { context, type Span, type SpanContext, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('shoal.replication');

/** The promotion that made this node primary, until its first write in that term is traced. */
interface Promotion {
  term: number;
  span: SpanContext;
}

/**
 * Ends the story of a failover or switchover in its own trace: the first write a promoted
 * node accepts in its new term gets a span `state.first_write` under `sync.promote` (so under
 * the control plane's decision), linked to the write's own trace. In Jaeger the failover trace
 * then reads detection (linked observations) → decision → promotion → first accepted write.
 */
export class FirstWriteInTerm {
  private pending: Promotion | undefined;

  promoted(term: number, span: SpanContext): void {
    this.pending = { term, span };
  }

  /** Called after each accepted write; traces only the first one of the promoted term. */
  accepted(term: number, position: number, write: Span): void {
    const p = this.pending;
    if (!p || p.term !== term) return;
    this.pending = undefined;
    const acceptedAt = Date.now();
    tracer
      .startSpan(
        'state.first_write',
        { startTime: acceptedAt, links: [{ context: write.spanContext() }], attributes: { 'shoal.term': term, 'shoal.position': position } },
        trace.setSpanContext(context.active(), p.span),
      )
      .end(acceptedAt);
  }
}
