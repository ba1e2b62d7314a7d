import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Identity, identityUri } from './identity';
import { openssl } from './openssl';

/** Where a certificate is valid: names and addresses a peer may dial it by. */
export interface Sans {
  dns: string[];
  ips: string[];
}

export interface Issued {
  name: string;
  identity: string;
  certFile: string;
  keyFile: string;
  notAfter: string;
  sans: string[];
}

/** ECDSA P-256: small keys and fast handshakes, which every gRPC implementation accepts. */
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A cluster's CA in a directory (`ca.crt`, `ca.key`), and the certificates it issues beside it
 * as `<name>.crt` / `<name>.key`. Keys are written 0600. Each file is made in a scratch
 * directory and renamed into place, so a process reading it never sees half a file.
 */
export class CertificateAuthority {
  readonly certFile: string;
  private readonly keyFile: string;

  private constructor(
    readonly dir: string,
    /** False when the CA was already there and is reused. */
    readonly created: boolean,
  ) {
    this.certFile = join(dir, 'ca.crt');
    this.keyFile = join(dir, 'ca.key');
  }

  /** The CA in `dir`, made when neither of its files exists. @throws when only one of them does. */
  static openOrCreate(dir: string, cluster: string, days: number): CertificateAuthority {
    const cert = join(dir, 'ca.crt');
    const key = join(dir, 'ca.key');
    const have = [cert, key].filter((f) => existsSync(f));
    if (have.length === 2) {
      new X509Certificate(readFileSync(cert)); // a clear error now rather than at the first signature
      return new CertificateAuthority(dir, false);
    }
    if (have.length === 1) throw new Error(`${have[0]} exists without its pair; remove it or restore ${have[0] === cert ? key : cert}`);
    const scratch = mkdtempSync(join(dir, '.ca-'));
    try {
      openssl([
        'req', '-x509', ...KEY_ARGS,
        '-keyout', join(scratch, 'ca.key'), '-out', join(scratch, 'ca.crt'),
        '-days', String(days), '-subj', `/O=shoal/CN=shoal ${cluster} CA`,
        '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]); // prettier-ignore
      chmodSync(join(scratch, 'ca.key'), 0o600);
      renameSync(join(scratch, 'ca.key'), key);
      renameSync(join(scratch, 'ca.crt'), cert);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return new CertificateAuthority(dir, true);
  }

  /**
   * Issues (or re-issues, replacing the old pair) the certificate `name` for `identity`. With
   * `sans`, it is also a server certificate valid for those names and addresses; without, a
   * client certificate only.
   */
  issue(name: string, identity: Identity, days: number, sans?: Sans): Issued {
    const scratch = mkdtempSync(join(this.dir, `.${name}-`));
    try {
      const csr = join(scratch, 'req.csr');
      const key = join(scratch, 'key');
      const cert = join(scratch, 'crt');
      openssl(['req', '-new', ...KEY_ARGS, '-keyout', key, '-out', csr, '-subj', `/O=shoal/OU=${identity.kind}/CN=${identity.id}`]);
      const altNames = [`URI:${identityUri(identity)}`, ...(sans?.dns ?? []).map((d) => `DNS:${d}`), ...(sans?.ips ?? []).map((ip) => `IP:${ip}`)];
      const ext = join(scratch, 'ext.cnf');
      writeFileSync(
        ext,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          `extendedKeyUsage=${sans ? 'serverAuth,clientAuth' : 'clientAuth'}`,
          `subjectAltName=${altNames.join(',')}`,
        ].join('\n') + '\n',
      );
      openssl([
        'x509', '-req', '-in', csr, '-CA', this.certFile, '-CAkey', this.keyFile,
        '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '7')}`,
        '-days', String(days), '-sha256', '-extfile', ext, '-out', cert,
      ]); // prettier-ignore
      chmodSync(key, 0o600);
      const keyFile = join(this.dir, `${name}.key`);
      const certFile = join(this.dir, `${name}.crt`);
      renameSync(key, keyFile);
      renameSync(cert, certFile);
      const x509 = new X509Certificate(readFileSync(certFile));
      return {
        name,
        identity: identityUri(identity),
        certFile,
        keyFile,
        notAfter: new Date(x509.validTo).toISOString(),
        sans: (x509.subjectAltName ?? '').split(', ').filter(Boolean),
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
