import { NodeRole } from '../../gen/shoal/v1/node';
import type { RoleName } from '../config/clusterConfig';

const TO_ENUM: Record<RoleName, NodeRole> = {
  primary: NodeRole.NODE_ROLE_PRIMARY,
  replica: NodeRole.NODE_ROLE_REPLICA,
  worker: NodeRole.NODE_ROLE_WORKER,
};

/** The proto enum of a role name. */
export function roleToProto(role: RoleName): NodeRole {
  return TO_ENUM[role];
}

/** The role name of a proto enum value, or undefined for UNSPECIFIED/unknown. */
export function roleFromProto(role: NodeRole): RoleName | undefined {
  return (Object.keys(TO_ENUM) as RoleName[]).find((name) => TO_ENUM[name] === role);
}

/** The role a Consul service's tags declare (the first tag that names a role). */
export function roleFromTags(tags: readonly string[] | null | undefined): RoleName | undefined {
  return (tags ?? []).find((t): t is RoleName => t in TO_ENUM);
}
