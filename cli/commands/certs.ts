import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import type { Sans } from '../../common/tls/CertificateAuthority';
import { type ClusterCertificates, issueClusterCertificates } from '../../common/tls/clusterCertificates';
import { CliError } from '../CliError';
import { intOption } from '../intOption';

export const CERTS_HELP = `Usage: shoal certs create [--out DIR] [--hosts H[,H…]] [--days N] [--config FILE] [--json]

Makes the cluster's TLS material with the openssl CLI: a CA (ECDSA P-256), and a certificate
and key for each process that takes part, signed by it:
  <node id>       one per state node the config declares (primary, replicas): server and
                  client certificate, identity spiffe://shoal/<cluster>/node/<id>
  worker          for every worker, declared or added by the autoscaler (…/worker/*)
  control-plane   for every control-plane instance and the dashboard (…/control-plane/*)
  client          for applications (…/client/*), client only
  operator        for the CLI of an operator (…/operator/*), client only
  consul-agent    for Consul agents running the nodes' gRPC checks (…/consul/*), client only
Server certificates are valid for localhost, 127.0.0.1, ::1 and every --hosts entry.

A CA already in DIR (ca.crt and ca.key) is reused, and every other certificate is issued
anew: run it again to renew them, or with more --hosts when hosts are added. Keys are written
0600. ca.key signs every identity: keep it off the hosts that run shoal.

A config's tls section names the files (docs/security.md); \`shoal up --tls\` makes and uses them.

Options:
  --out DIR       where the files go (default: certs)
  --hosts H,…     more names and addresses the servers are reached by, each NAME, ADDRESS or
                  NAME=ADDRESS (e.g. h1=10.78.0.11)
  --days N        validity of the certificates, days (default: 365; the CA's: ten times that)
  --config FILE   cluster config: the cluster name and the nodes it declares (default: built-in)
  --json          print what was made as JSON
  -h, --help      show this help`;

/** A hostname as a DNS subject alternative name takes it: labels of letters, digits and dashes. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function certs(argv: string[]): Promise<number> {
  return Promise.resolve(argv).then(createCerts);
}

function createCerts(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      hosts: { type: 'string' },
      days: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (console.log(CERTS_HELP), 0);
  const [sub, ...extra] = positionals;
  if (sub !== 'create' || extra.length)
    throw new CliError(`certs takes one subcommand, create (see \`shoal certs --help\`)${sub ? `; got "${positionals.join(' ')}"` : ''}`);
  const days = intOption('--days', values.days, 365, { min: 1, max: 3650 });
  const sans = parseHosts(values.hosts);
  const config = loadClusterConfig(values.config ? resolve(values.config) : undefined);
  const cluster = config.name;
  const out = resolve(values.out ?? 'certs');

  const say = (line: string) => values.json || console.log(line);
  let made: ClusterCertificates;
  try {
    made = issueClusterCertificates(config, out, days, sans, say);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { ca, issued } = made;
  if (values.json) console.log(JSON.stringify({ cluster, out, ca: { certFile: ca.certFile, created: ca.created }, certificates: issued }, null, 2));
  return 0;
}

/** --hosts as subject alternative names, loopback always included. */
export function parseHosts(raw: string | undefined): Sans {
  const sans: Sans = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };
  const add = (list: string[], v: string) => list.includes(v) || list.push(v);
  for (const entry of (raw ?? '').split(',').filter((e) => e.trim() !== '')) {
    const parts = entry.trim().split('=');
    if (parts.length > 2) throw new CliError(`--hosts entry "${entry}" must be NAME, ADDRESS or NAME=ADDRESS`);
    for (const part of parts) {
      if (isIP(part)) add(sans.ips, part);
      else if (DNS_NAME.test(part)) add(sans.dns, part.toLowerCase());
      else throw new CliError(`--hosts entry "${entry}": "${part}" is neither a host name nor an IP address`);
    }
  }
  return sans;
}
