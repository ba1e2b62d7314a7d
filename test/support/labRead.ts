// Run inside a lab host's namespace (test/lab): one State.Get on `address` in a read mode
// (default, consistent or stale), with the operator's certificate from the lab's config, printed as
// {"code": <gRPC status>, "details": "...", "found": …, "term": …, "mayBeStale": …} (code 0 when
// it answered). A client on that host.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { TransportSecurity } from '../../common/tls/TransportSecurity';
import { type Consistency, READ_CONSISTENCY } from '../../common/client/StateClient';
import { type GetResponse, StateClient } from '../../gen/shoal/v1/state';

const [address, key, mode, config] = process.argv.slice(2);
const client = new StateClient(address, TransportSecurity.of(loadClusterConfig(config, {}).tls, 'operator').channel());
client.get(
  { key, minPosition: 0, consistency: READ_CONSISTENCY[mode as Consistency] },
  new Metadata(),
  { deadline: Date.now() + 1500 },
  (err: ServiceError | null, res?: GetResponse) => {
    const answer = err ? { code: err.code, details: err.details } : { code: 0, details: '', found: res!.found, term: res!.term, mayBeStale: res!.mayBeStale };
    process.stdout.write(JSON.stringify(answer) + '\n');
    client.close();
    process.exit(0);
  },
);
