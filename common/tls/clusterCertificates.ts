import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/clusterConfig';
import { nodeIdsOf } from '../config/nodeIds';
import { CertificateAuthority, type Issued, type Sans } from './CertificateAuthority';
import type { Identity } from './identity';

export interface ClusterCertificates {
  ca: CertificateAuthority;
  issued: Issued[];
}

/** The certificate names a cluster's processes look for (`{name}` in the tls section) and what each one is. */
export function wantedCertificates(config: ClusterConfig): { name: string; identity: Identity; server: boolean }[] {
  const cluster = config.name;
  return [
    ...config.nodes
      .filter((t) => t.type !== 'worker')
      .flatMap((t) => nodeIdsOf(t).map((id) => ({ name: id, identity: { cluster, kind: 'node' as const, id }, server: true }))),
    { name: 'worker', identity: { cluster, kind: 'worker', id: '*' }, server: true },
    { name: 'control-plane', identity: { cluster, kind: 'control-plane', id: '*' }, server: true },
    { name: 'client', identity: { cluster, kind: 'client', id: '*' }, server: false },
    { name: 'operator', identity: { cluster, kind: 'operator', id: '*' }, server: false },
    { name: 'consul-agent', identity: { cluster, kind: 'consul', id: '*' }, server: false },
  ];
}

/** The config's tls section for certificates `issueClusterCertificates` made in `dir`. */
export function tlsSectionFor(dir: string): { caFile: string; certFile: string; keyFile: string } {
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, '{name}.crt'), keyFile: join(dir, '{name}.key') };
}

/**
 * Makes (or reuses) the cluster's CA in `out` and issues every certificate its processes use,
 * servers' valid for `sans`. `say` hears a line per file.
 * @throws Error saying which file could not be made.
 */
export function issueClusterCertificates(config: ClusterConfig, out: string, days: number, sans: Sans, say: (line: string) => void): ClusterCertificates {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const ca = CertificateAuthority.openOrCreate(out, config.name, days * 10);
  say(`${ca.created ? 'made the CA' : 'reusing the CA'} ${ca.certFile}`);
  const issued: Issued[] = [];
  for (const w of wantedCertificates(config)) {
    let made: Issued;
    try {
      made = ca.issue(w.name, w.identity, days, w.server ? sans : undefined);
    } catch (err) {
      throw new Error(`could not issue ${w.name}: ${(err as Error).message}`);
    }
    issued.push(made);
    say(`issued ${made.certFile} (${made.identity}, until ${made.notAfter.slice(0, 10)})`);
  }
  return { ca, issued };
}
