import type { ServiceDefinition } from '@grpc/grpc-js';

/** bench.Echo/Echo over raw bytes: no protobuf work at all, the cheapest possible unary call. */
export const echoService: ServiceDefinition = {
  echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};
