import type { z } from 'zod';
import { ConfigError } from './ConfigError';
import { configErrorOf, type ConfigWarning } from './configIssues';
import { clusterSchema } from './clusterSchema';
import { hostPort, type FieldMeta } from './fields';
import { scalingSchema } from './scalingSchema';
import { consulSchema, controlPlaneSchema, dashboardSchema, eventsSchema, healthSchema, syncSchema } from './sectionSchemas';

export type { ConfigWarning } from './configIssues';
export { declaredNodeIds, isValidNodeId, nodeIdsOf, ROLE_NAMES, type RoleName } from './nodeIds';
export type { NodeTemplate } from './nodesSchema';
export { scalingPolicyProblem, type ScalingConfig } from './scalingSchema';

/** The cluster config as parsed: every default filled. See docs/configuration.md for each key. */
export type ClusterConfig = z.output<typeof clusterSchema>;
export type ConsulConfig = ClusterConfig['consul'];
export type SyncConfig = ClusterConfig['sync'];
export type HealthConfig = ClusterConfig['health'];
export type ControlPlaneConfig = ClusterConfig['controlPlane'];
export type EventsConfig = ClusterConfig['events'];
export type DashboardConfig = ClusterConfig['dashboard'];
export type TlsConfig = NonNullable<ClusterConfig['tls']>;

/**
 * Validates an unknown value (parsed JSON) into a ClusterConfig, filling defaults.
 * CONSUL_HTTP_ADDR in `env` overrides consul.address, CONSUL_HTTP_TOKEN_FILE and CONSUL_HTTP_TOKEN
 * consul.token (the file is read by loadClusterConfig), SHOAL_CONTROL_PLANE_TOKEN controlPlane.token,
 * SHOAL_DASHBOARD_TOKEN dashboard.token (checked by the same rule; its value is never in an error).
 * @param warn told of each key that is set but has no effect.
 * @throws ConfigError naming the first wrong field (its full path) and the rule it breaks.
 */
export function parseClusterConfig(raw: unknown, env: NodeJS.ProcessEnv = {}, warn: (w: ConfigWarning) => void = () => undefined): ClusterConfig {
  const result = clusterSchema.safeParse(raw ?? {});
  if (!result.success) throw configErrorOf(result.error);
  const config = result.data;
  // CONSUL_HTTP_ADDR wins over the file, as it does for every Consul tool.
  if (env.CONSUL_HTTP_ADDR) {
    const address = hostPort().safeParse(env.CONSUL_HTTP_ADDR);
    if (!address.success) throw new ConfigError('CONSUL_HTTP_ADDR', address.error.issues[0].message);
    config.consul.address = address.data;
  }
  if (env.SHOAL_CONTROL_PLANE_TOKEN !== undefined) config.controlPlane.token = env.SHOAL_CONTROL_PLANE_TOKEN;
  // An empty variable is unset, as for Consul's: it must not lift a configured login.
  if (env.SHOAL_DASHBOARD_TOKEN) {
    const token = dashboardSchema.shape.token.safeParse(env.SHOAL_DASHBOARD_TOKEN);
    if (!token.success) throw new ConfigError('SHOAL_DASHBOARD_TOKEN', token.error.issues[0].message);
    config.dashboard.token = token.data;
  }
  // Consul's own order (its api package): CONSUL_HTTP_TOKEN_FILE (read by loadClusterConfig), then CONSUL_HTTP_TOKEN, then the file's.
  if (env.CONSUL_HTTP_TOKEN_FILE) config.consul = { ...config.consul, token: undefined, tokenFile: env.CONSUL_HTTP_TOKEN_FILE };
  else if (env.CONSUL_HTTP_TOKEN) config.consul = { ...config.consul, token: env.CONSUL_HTTP_TOKEN, tokenFile: undefined };
  noEffectWarnings(raw as Record<string, unknown>).forEach(warn);
  return config;
}

const SECTIONS: Record<string, z.ZodObject> = {
  consul: consulSchema,
  sync: syncSchema,
  health: healthSchema,
  controlPlane: controlPlaneSchema,
  events: eventsSchema,
  scaling: scalingSchema,
};

/** The keys `raw` sets whose schema says they have no effect (the config is valid by now). */
function noEffectWarnings(raw: Record<string, unknown> | undefined): ConfigWarning[] {
  return Object.entries(SECTIONS).flatMap(([name, schema]) =>
    Object.entries(schema.shape).flatMap(([key, field]) => {
      const { noEffect } = ((field as z.ZodType).meta() ?? {}) as Partial<FieldMeta>;
      const given = (raw?.[name] as Record<string, unknown> | undefined)?.[key] !== undefined;
      return noEffect && given ? [{ field: `${name}.${key}`, message: `has no effect: ${noEffect}` }] : [];
    }),
  );
}
