import type { ServiceDefinition } from '@grpc/grpc-js';

/**
 * The full name of the service a definition describes (`shoal.v1.State`), read from its methods'
 * paths (`/shoal.v1.State/Put`). Throws for a definition without methods, which names nothing.
 */
export function grpcServiceName(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  const name = first?.path.split('/')[1];
  if (!name) throw new Error('a service definition without methods has no name');
  return name;
}
