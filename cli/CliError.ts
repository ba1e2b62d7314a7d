/** A failure the user can act on: printed as "shoal: <message>" without a stack, exit 1. */
export class CliError extends Error {}
