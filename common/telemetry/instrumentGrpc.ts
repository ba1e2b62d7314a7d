// Imported first by every entry point, before anything loads @grpc/grpc-js: the gRPC
// instrumentation patches grpc-js as it is required, and cannot patch it afterwards. Spans go
// to whatever tracer provider `startTracing` registers later (the API's proxy provider
// forwards to it), so the process's identity can come from its parsed config.
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';

registerInstrumentations({
  instrumentations: [
    new GrpcInstrumentation({
      // The standard health service is called every second by Consul; its spans are noise.
      ignoreGrpcMethods: ['Check'],
    }),
  ],
});
