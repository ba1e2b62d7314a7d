import type { experimental } from '@grpc/grpc-js';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../config/ConfigError';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface CertificateFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

interface Material {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** The certificate's serial and expiry, for the log. */
  summary: string;
}

/**
 * A process's CA, certificate and key, read from files and read again every `intervalMs`, for
 * grpc-js's certificate-provider credentials: a server takes the new certificate for every
 * connection made after it changed, a client for every new connection. Unlike grpc-js's own
 * file watcher, a set of files is only taken whole and checked (the key belongs to the
 * certificate, which the CA signed): a rotation caught half-written, or a bad file, keeps the
 * last good set and logs why, instead of breaking every new handshake.
 */
export class ReloadingCertificates implements CertificateProvider {
  private current: Material;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | undefined;
  private lastProblem = '';

  /** @throws ConfigError naming the field (tls.caFile, tls.certFile, tls.keyFile) when the files are not a valid set now. */
  constructor(
    readonly files: CertificateFiles,
    private readonly intervalMs: number,
    /** Told of each reload taken or refused; set once the process has its logger. */
    public logger?: Logger,
  ) {
    const read = readMaterial(files);
    if ('field' in read) throw new ConfigError(read.field, read.problem);
    this.current = read;
  }

  /** The material now (for credentials that cannot reload, and for tests). */
  get material(): Readonly<Material> {
    return this.current;
  }

  /** Reads the files again; publishes them when they changed and are a valid set. */
  reload(): void {
    const read = readMaterial(this.files);
    if ('field' in read) {
      const problem = `${read.field}: ${read.problem}`;
      if (problem !== this.lastProblem) this.logger?.warn({ problem }, 'new TLS files not taken; still using the last good certificate');
      this.lastProblem = problem;
      return;
    }
    this.lastProblem = '';
    if (read.ca.equals(this.current.ca) && read.cert.equals(this.current.cert) && read.key.equals(this.current.key)) return;
    this.logger?.info({ was: this.current.summary, now: read.summary }, 'took new TLS certificates');
    this.current = read;
    for (const l of this.caListeners) l({ caCertificate: read.ca });
    for (const l of this.identityListeners) l({ certificate: read.cert, privateKey: read.key });
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.watch();
    process.nextTick(listener, { caCertificate: this.current.ca });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.unwatchIfUnused();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.watch();
    process.nextTick(listener, { certificate: this.current.cert, privateKey: this.current.key });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.unwatchIfUnused();
  }

  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.reload(), this.intervalMs);
    // Reloading is no reason to keep a process alive.
    this.timer.unref();
  }

  private unwatchIfUnused(): void {
    if (this.caListeners.size || this.identityListeners.size || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The three files as a checked set, or the field that is wrong and why. */
function readMaterial(files: CertificateFiles): Material | { field: string; problem: string } {
  const fail = (field: keyof CertificateFiles, problem: string) => ({ field: `tls.${field}`, problem: `${problem} (${files[field]})` });
  const bytes = {} as Record<keyof CertificateFiles, Buffer>;
  for (const field of ['caFile', 'certFile', 'keyFile'] as const) {
    try {
      bytes[field] = readFileSync(files[field]);
    } catch (err) {
      return fail(field, `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(bytes.caFile);
  } catch {
    return fail('caFile', 'is not a PEM certificate');
  }
  try {
    cert = new X509Certificate(bytes.certFile);
  } catch {
    return fail('certFile', 'is not a PEM certificate');
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(bytes.keyFile))) return fail('keyFile', `is not the key of ${files.certFile}`);
  } catch {
    return fail('keyFile', 'is not a PEM private key');
  }
  if (!cert.verify(ca.publicKey)) return fail('certFile', `is not signed by the CA in ${files.caFile}`);
  return { ca: bytes.caFile, cert: bytes.certFile, key: bytes.keyFile, summary: `serial ${cert.serialNumber}, valid until ${cert.validTo}` };
}
