import type { ChannelCredentials } from '@grpc/grpc-js';
import { join } from 'node:path';
import { parseClusterConfig, type TlsConfig } from '../../common/config/clusterConfig';
import { issueClusterCertificates } from '../../common/tls/clusterCertificates';
import type { CertificateFiles } from '../../common/tls/ReloadingCertificates';
import { certificateFilesOf, TransportSecurity } from '../../common/tls/TransportSecurity';
import { outputDir } from './testConsul';

export interface TestTls {
  /** The config's tls section naming the certificates. */
  section: TlsConfig;
  /** Credentials of one certificate name (operator, worker, client, …). */
  channel(name: string): ChannelCredentials;
  /** What the test's Consul agent presents when it runs the nodes' gRPC checks. */
  consulAgent: CertificateFiles;
}

/** A cluster's certificates (shoal certs create's, valid for loopback) under test-output/tls/<cluster>. */
export function testTls(cluster: string): TestTls {
  const dir = outputDir('tls', cluster);
  issueClusterCertificates(parseClusterConfig({ name: cluster }), dir, 1, { dns: ['localhost'], ips: ['127.0.0.1', '::1'] }, () => undefined);
  const section: TlsConfig = { caFile: join(dir, 'ca.crt'), certFile: join(dir, '{name}.crt'), keyFile: join(dir, '{name}.key'), reloadInterval: 10_000 };
  return {
    section,
    channel: (name) => TransportSecurity.of(section, name).channel(),
    consulAgent: certificateFilesOf(section, 'consul-agent'),
  };
}
