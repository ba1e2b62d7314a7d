/** Trailing metadata key a node sets when it redirects a write to the primary: its gRPC address. */
export const PRIMARY_METADATA_KEY = 'shoal-primary';
