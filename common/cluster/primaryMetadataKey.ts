/** Trailing metadata key a node sets when it redirects a write to the primary: its gRPC address. */
export const PRIMARY_METADATA_KEY = 'shoal-primary';

/**
 * Trailing metadata key set to "false" on a failed write that certainly wrote nothing, so a
 * client may retry it safely (even a compare-and-set). Without it, a failed write may or may not
 * have been applied.
 */
export const WRITTEN_METADATA_KEY = 'shoal-written';
