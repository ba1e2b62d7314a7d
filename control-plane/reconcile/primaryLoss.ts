import { MemberHealth } from '../../gen/shoal/v1/node';

/** What the control plane knows of one declared replica, for its vote. */
export interface ReplicaView {
  id: string;
  /** When the control plane last had a sample from it, ms; 0 if never. */
  lastSampleAt: number;
  /** Its last sample's StreamStatusResponse.primarySilenceMs: how long it has not heard from the primary. */
  primarySilenceMs: number;
}

export interface PrimaryLossInput {
  now: number;
  /** controlPlane.failoverAfter, ms. */
  failoverAfterMs: number;
  /** The placement knows the primary's process is gone (exited, or its host said it is not running). */
  processGone: boolean;
  /** When the control plane last had a sample from the primary, ms; 0 if never. */
  lastPrimarySampleAt: number;
  /** The declared replicas (the state nodes other than the primary), whether they stream or not. */
  replicas: readonly ReplicaView[];
  /** The primary's Consul check, as evidence for the reason only. */
  consulHealth: MemberHealth | undefined;
}

export interface PrimaryLossVerdict {
  lost: boolean;
  /** True when the control plane hears nothing from the primary but too few replicas agree: it keeps its role. */
  silentToControlPlaneOnly: boolean;
  /** Why, with the evidence (for the failover decision or the log). */
  reason: string;
}

/**
 * Whether the primary is lost, without waiting for Consul's gossip or catalog. Lost when its
 * process is known gone (at once); or when the control plane has had no sample from it for
 * `failoverAfter` AND a majority of the declared replicas (floor(n/2)+1) say, in a sample
 * younger than `failoverAfter`, that they have not heard from it for `failoverAfter` either.
 * A replica whose own stream is silent casts no vote: it may be cut off with the primary. A
 * primary only the control plane cannot hear keeps its role. Consul's check is evidence in the
 * reason, never the trigger: its agent may be the one cut off.
 */
export function primaryLoss(input: PrimaryLossInput): PrimaryLossVerdict {
  const { now, failoverAfterMs: after } = input;
  const consul = `Consul check ${healthName(input.consulHealth)}`;
  if (input.processGone) return { lost: true, silentToControlPlaneOnly: false, reason: `its process is gone; ${consul}` };
  const silentFor = input.lastPrimarySampleAt ? now - input.lastPrimarySampleAt : Infinity;
  if (silentFor < after) return { lost: false, silentToControlPlaneOnly: false, reason: 'the control plane hears it' };
  const needed = Math.floor(input.replicas.length / 2) + 1;
  const fresh = input.replicas.filter((r) => r.lastSampleAt > 0 && now - r.lastSampleAt < after);
  const votes = fresh.filter((r) => r.primarySilenceMs >= after);
  const heardBy = fresh.filter((r) => r.primarySilenceMs < after).map((r) => r.id);
  const silence = Number.isFinite(silentFor) ? `no sample for ${silentFor} ms` : 'no sample yet';
  const tally = `${votes.length} of ${input.replicas.length} declared replicas (${needed} needed) have not heard from it for ${after} ms${
    votes.length ? ` (${votes.map((r) => r.id).join(', ')})` : ''
  }`;
  if (votes.length >= needed) return { lost: true, silentToControlPlaneOnly: false, reason: `${silence}; ${tally}; ${consul}` };
  const still = heardBy.length ? `; ${heardBy.join(', ')} still hear it` : '';
  return { lost: false, silentToControlPlaneOnly: true, reason: `${silence} to the control plane only; ${tally}${still}; ${consul}` };
}

function healthName(h: MemberHealth | undefined): string {
  switch (h) {
    case MemberHealth.MEMBER_HEALTH_PASSING:
      return 'passing';
    case MemberHealth.MEMBER_HEALTH_CRITICAL:
      return 'critical';
    case MemberHealth.MEMBER_HEALTH_WARNING:
      return 'warning';
    default:
      return 'absent (not in the catalog)';
  }
}
