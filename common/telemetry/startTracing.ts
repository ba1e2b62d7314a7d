import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';

export interface TracingIdentity {
  /** OpenTelemetry service.name, e.g. "shoal-node". */
  serviceName: string;
  /** service.instance.id, e.g. the node id. */
  instanceId: string;
  version: string;
  /** Extra resource attributes, e.g. shoal.cluster. */
  attributes?: Record<string, string>;
}

/**
 * Registers the global tracer provider: W3C trace context propagation always (so trace ids
 * flow between processes and into logs), OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. The protocol follows the standard
 * OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL variable: grpc, http/protobuf (default) or http/json.
 * @returns a function that flushes pending spans and shuts the provider down.
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
  });
  provider.register();
  return () => provider.shutdown();
}

function exporterFromEnv(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  switch (protocol) {
    case 'grpc':
      return new OtlpGrpcExporter();
    case 'http/json':
      return new OtlpJsonExporter();
    case 'http/protobuf':
      return new OtlpProtoExporter();
    default:
      throw new Error(`invalid OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}": must be grpc, http/protobuf or http/json`);
  }
}
