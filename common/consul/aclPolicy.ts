import { serviceNameOf } from './ConsulApi';

/**
 * The smallest Consul ACL policy a cluster's processes (nodes, control planes, the dashboard,
 * the CLI) work with, in Consul's HCL rules: they register services named shoal-<cluster>…
 * (nodes, and control planes as shoal-<cluster>-control-plane), read and write keys under
 * shoal/<cluster>/ (leader record, control-plane lock, topology, decisions, scaling policy),
 * make the lock's session (tied to the agent's node: any node name, hence the empty prefix),
 * and read nodes, without which Consul filters every node out of a health query's answer.
 */
export function aclPolicyRules(cluster: string): string {
  return [
    `service_prefix "${serviceNameOf(cluster)}" {\n  policy = "write"\n}`,
    `key_prefix "shoal/${cluster}/" {\n  policy = "write"\n}`,
    `session_prefix "" {\n  policy = "write"\n}`,
    `node_prefix "" {\n  policy = "read"\n}`,
  ].join('\n');
}
