import { readFileSync } from 'node:fs';
import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * Serves gRPC server reflection (v1 and v1alpha) from the descriptor set `make proto` writes,
 * so grpcurl and `buf curl` need no .proto files. Only `services` (full names, the ones this
 * server implements) are listed: a node does not offer the control plane's Scale, nor the
 * control plane a node's State.
 */
export function addReflection(server: Server, descriptorSetPath: string, services: string[]): void {
  const definition = loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath));
  new ReflectionService(definition, { services }).addToServer(server);
}
