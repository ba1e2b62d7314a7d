import { type Client, credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { unaryCall } from '../../common/client/grpcCall';
import { DiscoveryClient } from '../../gen/shoal/v1/discovery';
import { HealthClient } from '../../gen/shoal/v1/health';

/** Typed clients for one node; `close()` when done. */
export function clientsFor(address: string) {
  const discovery = new DiscoveryClient(address, credentials.createInsecure());
  const health = new HealthClient(address, credentials.createInsecure());
  return {
    discovery,
    health,
    close() {
      discovery.close();
      health.close();
    },
  };
}

type UnaryMethod<Req, Res> = (req: Req, metadata: Metadata, options: { deadline: number }, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** Calls a unary method of `client` with a deadline and returns a promise. */
export function call<Req, Res>(client: Client, method: UnaryMethod<Req, Res>, request: Req, timeoutMs = 5000): Promise<Res> {
  return unaryCall<Res>((metadata, options, cb) => method.call(client, request, metadata, options, cb), Date.now() + timeoutMs);
}

/** The gRPC error a promise rejects with, or a failure if it resolves. */
export async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
