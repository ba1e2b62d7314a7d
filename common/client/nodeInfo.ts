import type { ChannelCredentials } from '@grpc/grpc-js';
import { DiscoveryClient } from '../../gen/shoal/v1/discovery';
import type { NodeInfo } from '../../gen/shoal/v1/node';
import { unaryCall } from './grpcCall';
import { CLIENT_LIMITS } from '../grpc/transportLimits';

/** A node's own GetNodeInfo, or undefined when it does not answer within `timeoutMs`. */
export async function nodeInfo(address: string, credentials: ChannelCredentials, timeoutMs = 1000): Promise<NodeInfo | undefined> {
  const client = new DiscoveryClient(address, credentials, CLIENT_LIMITS);
  try {
    return (await unaryCall<{ node?: NodeInfo }>((m, o, cb) => client.getNodeInfo({}, m, o, cb), Date.now() + timeoutMs)).node;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}
