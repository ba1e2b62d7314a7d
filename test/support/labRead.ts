// Run inside a lab host's namespace (test/lab): one State.Get on `address`, printed as
// {"code": <gRPC status>, "details": "..."} (code 0 when it answered). A client on that host.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ReadConsistency, StateClient } from '../../gen/shoal/v1/state';

const [address, key] = process.argv.slice(2);
const client = new StateClient(address, credentials.createInsecure());
client.get(
  { key, minPosition: 0, consistency: ReadConsistency.READ_CONSISTENCY_DEFAULT },
  new Metadata(),
  { deadline: Date.now() + 1500 },
  (err: ServiceError | null) => {
    process.stdout.write(JSON.stringify({ code: err ? err.code : 0, details: err ? err.details : '' }) + '\n');
    client.close();
    process.exit(0);
  },
);
