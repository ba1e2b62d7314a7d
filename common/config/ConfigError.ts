/** A configuration value is missing or wrong. `field` is its dotted path, e.g. `nodes[1].config.port`. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`invalid config: ${field} ${rule}`);
    this.name = 'ConfigError';
  }
}
