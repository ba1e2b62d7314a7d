import { type ChannelCredentials, credentials, experimental, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { TlsConfig } from '../config/clusterConfig';
import { type CertificateFiles, ReloadingCertificates } from './ReloadingCertificates';

/**
 * How one process's gRPC servers and clients protect their connections: mutual TLS with the
 * cluster's CA and the process's own certificate (reloaded from its files as they change), or
 * plaintext when the config has no `tls` section. Every server and client of a process takes
 * its credentials from here, so no hop is left in plaintext by a forgotten call site.
 */
export class TransportSecurity {
  /** No TLS: the config has no tls section. */
  static readonly plaintext = new TransportSecurity(undefined);

  private serverCreds: ServerCredentials | undefined;
  private channelCreds: ChannelCredentials | undefined;

  private constructor(private readonly certs: ReloadingCertificates | undefined) {}

  /**
   * The process's transport security from the config's tls section, `{name}` in its file names
   * being the process's certificate name (a state node's id, `worker`, `control-plane`,
   * `operator`).
   * @throws ConfigError naming the tls field whose file is missing or wrong.
   */
  static of(tls: TlsConfig | undefined, name: string, logger?: Logger): TransportSecurity {
    if (!tls) return TransportSecurity.plaintext;
    return new TransportSecurity(new ReloadingCertificates(certificateFilesOf(tls, name), tls.reloadInterval, logger));
  }

  /** Where reloads are logged (the flags are parsed before the process has its logger). */
  logTo(logger: Logger): this {
    if (this.certs) this.certs.logger = logger;
    return this;
  }

  get enabled(): boolean {
    return this.certs !== undefined;
  }

  /** The files in use; undefined in plaintext. */
  get files(): CertificateFiles | undefined {
    return this.certs?.files;
  }

  /** A server's credentials: TLS that requires a client certificate of the CA. */
  server(): ServerCredentials {
    if (!this.certs) return ServerCredentials.createInsecure();
    this.serverCreds ??= experimental.createCertificateProviderServerCredentials(this.certs, this.certs, true);
    return this.serverCreds;
  }

  /** A client's credentials: its certificate, and the CA it checks servers' certificates against. */
  channel(): ChannelCredentials {
    if (!this.certs) return credentials.createInsecure();
    this.channelCreds ??= experimental.createCertificateProviderChannelCredentials(this.certs, this.certs);
    return this.channelCreds;
  }

  /**
   * For an HTTPS server that presents this certificate (the dashboard): its key and certificate
   * now, and `onChange` told of each new valid set the reloads take after (to pass on to
   * `setSecureContext`). Undefined in plaintext.
   * @returns also `stop`, which ends the telling (and the reloads, when nothing else listens).
   */
  serverIdentity(onChange: (identity: { cert: Buffer; key: Buffer }) => void): { cert: Buffer; key: Buffer; stop(): void } | undefined {
    const certs = this.certs;
    if (!certs) return undefined;
    const { cert, key } = certs.material;
    // The provider tells a new listener of the current set first; that one is already in use.
    let first = true;
    const listener = (update: { certificate: Buffer; privateKey: Buffer } | null) => {
      if (first) return void (first = false);
      if (update) onChange({ cert: update.certificate, key: update.privateKey });
    };
    certs.addIdentityCertificateListener(listener);
    return { cert, key, stop: () => certs.removeIdentityCertificateListener(listener) };
  }

  /** grpcurl's flags for this material (`-cacert … -cert … -key …`), or `-plaintext`. */
  grpcurlFlags(): string {
    const f = this.certs?.files;
    return f ? `-cacert ${f.caFile} -cert ${f.certFile} -key ${f.keyFile}` : '-plaintext';
  }
}

/** The tls section's files for one certificate name. */
export function certificateFilesOf(tls: TlsConfig, name: string): CertificateFiles {
  const named = (path: string) => path.replaceAll('{name}', name);
  return { caFile: tls.caFile, certFile: named(tls.certFile), keyFile: named(tls.keyFile) };
}
