import { setMaxListeners } from 'node:events';
import { HealthImplementation } from 'grpc-health-check';
import { ServingPhase } from '../../gen/shoal/v1/health';

/** The names under which the standard health service reports; "" is the whole server (Consul's check). */
const HEALTH_SERVICES = ['', 'shoal.v1.Discovery', 'shoal.v1.Health'];

/**
 * Where the node is in its life (STARTING → SERVING → DRAINING) and whether it is ready, with
 * the reasons when not. The standard grpc.health.v1 service follows it, so Consul's GRPC check
 * and Kubernetes probes see what GetStatus says.
 */
export class Lifecycle {
  readonly standardHealth = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING'])));
  private current = ServingPhase.SERVING_PHASE_STARTING;
  /** Whether the node's Consul registration is current; informational, not a readiness condition. */
  registered = false;
  /** Aborted when draining starts: long-lived streams end on it (each listens, so no listener cap). */
  private readonly draining = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();

  get phase(): ServingPhase {
    return this.current;
  }

  get drainSignal(): AbortSignal {
    return this.draining.signal;
  }

  get ready(): boolean {
    return this.current === ServingPhase.SERVING_PHASE_SERVING;
  }

  /** Why the node is not ready; empty when it is. */
  get reasons(): string[] {
    switch (this.current) {
      case ServingPhase.SERVING_PHASE_STARTING:
        return ['starting: servers are not listening yet'];
      case ServingPhase.SERVING_PHASE_DRAINING:
        return ['draining: the node is shutting down'];
      default:
        return [];
    }
  }

  serving(): void {
    if (this.current !== ServingPhase.SERVING_PHASE_STARTING) throw new Error(`cannot start serving in phase ${ServingPhase[this.current]}`);
    this.current = ServingPhase.SERVING_PHASE_SERVING;
    this.setStandard('SERVING');
  }

  /** Enters DRAINING (once): NOT_SERVING to health watchers, then the drain signal fires. */
  drain(): void {
    if (this.current === ServingPhase.SERVING_PHASE_DRAINING) return;
    this.current = ServingPhase.SERVING_PHASE_DRAINING;
    this.setStandard('NOT_SERVING');
    this.draining.abort();
  }

  private setStandard(status: 'SERVING' | 'NOT_SERVING'): void {
    for (const service of HEALTH_SERVICES) this.standardHealth.setStatus(service, status);
  }
}
