import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ConfigError } from '../config/ConfigError';

export interface TracingIdentity {
  /** OpenTelemetry service.name, e.g. "shoal-node". */
  serviceName: string;
  /** service.instance.id, e.g. the node id. */
  instanceId: string;
  version: string;
  /** Extra resource attributes, e.g. shoal.cluster. */
  attributes?: Record<string, string>;
}

let exporting = false;

/**
 * Whether spans of new traces are recorded and sent anywhere. Without an exporter they never are, so
 * work done only for a span (span links parsed from every replicated entry's traceparent) is skipped.
 */
export function spansExported(): boolean {
  return exporting;
}

/**
 * Registers the global tracer provider: W3C trace context propagation always (so trace ids
 * flow between processes and into logs), OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. The protocol follows the standard
 * OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL variable: grpc, http/protobuf (default) or http/json.
 * @returns a function that flushes pending spans and shuts the provider down.
 * @throws ConfigError when the protocol variable is wrong.
 */
export function startTracing(identity: TracingIdentity, env: NodeJS.ProcessEnv = process.env): () => Promise<void> {
  const exporter = exporterFromEnv(env);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': identity.serviceName,
      'service.instance.id': identity.instanceId,
      'service.version': identity.version,
      ...identity.attributes,
    }),
    spanProcessors: exporter ? [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })] : [],
    // With nowhere to send spans, record none: spans stay non-recording (cheap) but still carry
    // trace and span ids, so logs and propagation across processes work the same. A caller's
    // sampled trace is still recorded here.
    sampler: exporter ? undefined : new ParentBasedSampler({ root: new AlwaysOffSampler() }),
  });
  provider.register();
  exporting = exporter !== undefined;
  return () => {
    exporting = false;
    return provider.shutdown();
  };
}

const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

/**
 * The OTLP protocol the standard variables ask for (TRACES_ wins), http/protobuf by default.
 * @throws ConfigError naming the variable when it holds something else.
 */
export function otlpProtocolFromEnv(env: NodeJS.ProcessEnv = process.env): (typeof PROTOCOLS)[number] {
  const variable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[variable] ?? 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new ConfigError(variable, `must be one of ${PROTOCOLS.join(', ')} (got "${protocol}")`);
  return protocol as (typeof PROTOCOLS)[number];
}

function exporterFromEnv(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  switch (otlpProtocolFromEnv(env)) {
    case 'grpc':
      return new OtlpGrpcExporter();
    case 'http/json':
      return new OtlpJsonExporter();
    case 'http/protobuf':
      return new OtlpProtoExporter();
  }
}
