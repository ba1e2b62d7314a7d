/**
 * The paths every shoal process's HTTP listener serves (createProbeServer): the one list the
 * server is typed against and the config's `health.endpoints` is checked against.
 */
export const PROBE_ENDPOINTS = ['/health/live', '/health/ready', '/metrics'] as const;

export type ProbeEndpoint = (typeof PROBE_ENDPOINTS)[number];
