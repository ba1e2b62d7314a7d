import type { IdentityKind } from './identity';

/**
 * What each kind of certificate may do, and what each RPC needs: the one table shoal's servers
 * decide calls by (docs/security.md prints it). A kind is what the caller's certificate names
 * (`spiffe://shoal/<cluster>/<kind>/<id>`); the control plane's bearer token is an alternative
 * for scale.change only.
 */
export const PERMISSIONS = {
  /** grpc.health.v1: Consul's check, and anyone's probe. */
  health: ['node', 'worker', 'control-plane', 'client', 'operator', 'consul'],
  /** Reads: State Get/List/Watch, Discovery, Health, event backlogs, conflicts, topology, reflection. */
  read: ['node', 'worker', 'control-plane', 'client', 'operator'],
  /** State Put and Delete. */
  'state.write': ['worker', 'client', 'operator'],
  /** Events Publish and PublishBatch: applications, and workers for their effects. */
  'events.publish': ['worker', 'client', 'operator'],
  /** Events Lease, Ack, AckBatch, ReleaseWorker: workers, and the control plane releasing a gone worker's leases. */
  'events.work': ['worker', 'control-plane'],
  /** Events Redrive of dead letters. */
  'events.redrive': ['operator', 'control-plane'],
  /** Sync.Replicate: a replica following its primary (it carries the whole store). */
  'sync.replicate': ['node'],
  /** Sync GetPosition, Fence, Promote, Follow: failover and switchover. */
  'sync.role-change': ['node', 'control-plane', 'operator'],
  /** Sync Reconcile, GetDigest, GetBucket: state nodes repairing each other. */
  'sync.repair': ['node'],
  /** Scale Drain, Restart, SetPolicy, ScaleWorkers, Forget (or the control plane's bearer token). */
  'scale.change': ['operator', 'control-plane'],
} as const satisfies Record<string, readonly IdentityKind[]>;

export type Permission = keyof typeof PERMISSIONS;

/** The permission each RPC needs, by its full method path's service, then method (`*` for all of a service's methods). */
export const METHOD_PERMISSIONS: Record<string, Record<string, Permission>> = {
  'grpc.health.v1.Health': { '*': 'health' },
  'grpc.reflection.v1.ServerReflection': { '*': 'read' },
  'grpc.reflection.v1alpha.ServerReflection': { '*': 'read' },
  'shoal.v1.Discovery': { '*': 'read' },
  'shoal.v1.Health': { '*': 'read' },
  'shoal.v1.State': { Get: 'read', List: 'read', Watch: 'read', Put: 'state.write', Delete: 'state.write' },
  'shoal.v1.Events': {
    Publish: 'events.publish',
    PublishBatch: 'events.publish',
    Lease: 'events.work',
    Ack: 'events.work',
    AckBatch: 'events.work',
    ReleaseWorker: 'events.work',
    GetBacklog: 'read',
    ListDeadLetters: 'read',
    Redrive: 'events.redrive',
  },
  'shoal.v1.Sync': {
    Replicate: 'sync.replicate',
    GetPosition: 'sync.role-change',
    Fence: 'sync.role-change',
    Promote: 'sync.role-change',
    Follow: 'sync.role-change',
    Reconcile: 'sync.repair',
    GetDigest: 'sync.repair',
    GetBucket: 'sync.repair',
    ListConflicts: 'read',
  },
  'shoal.v1.Scale': {
    GetTopology: 'read',
    WatchEvents: 'read',
    WatchCluster: 'read',
    GetPolicy: 'read',
    Drain: 'scale.change',
    Restart: 'scale.change',
    SetPolicy: 'scale.change',
    ScaleWorkers: 'scale.change',
    Forget: 'scale.change',
  },
};

/** The permission a method path (`/shoal.v1.Sync/Promote`) needs; undefined for a method the table does not name (refused). */
export function permissionFor(path: string): Permission | undefined {
  const [, service, method] = path.split('/');
  const methods = METHOD_PERMISSIONS[service];
  return methods?.[method] ?? methods?.['*'];
}

export function kindMay(kind: IdentityKind, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly IdentityKind[]).includes(kind);
}
