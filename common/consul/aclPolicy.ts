import { controlPlaneServiceName } from '../cluster/controlPlaneLeader';
import { serviceNameOf } from './ConsulApi';

/**
 * The smallest Consul ACL policy a cluster's processes (nodes, control planes, the dashboard,
 * the CLI) work with, in Consul's HCL rules: they register the services shoal-<cluster> (nodes)
 * and shoal-<cluster>-control-plane, named exactly (a prefix would reach other clusters'
 * services: shoal-a is a prefix of shoal-ab); read and write keys under shoal/<cluster>/
 * (leader record, control-plane lock, topology, decisions, scaling policy); make the lock's
 * session, which Consul scopes by the agent's node, not by cluster, hence the empty prefix; and
 * read nodes, without which Consul filters every node out of a health query's answer.
 */
export function aclPolicyRules(cluster: string): string {
  return [
    `service "${serviceNameOf(cluster)}" {\n  policy = "write"\n}`,
    `service "${controlPlaneServiceName(cluster)}" {\n  policy = "write"\n}`,
    `key_prefix "shoal/${cluster}/" {\n  policy = "write"\n}`,
    `session_prefix "" {\n  policy = "write"\n}`,
    `node_prefix "" {\n  policy = "read"\n}`,
  ].join('\n');
}
