import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../common/paths';
import { freePort } from '../../common/net/freePort';
import { downLab, upLab } from '../../lab/Lab';
import { findHost, type LabLayout } from '../../lab/layout';
import { cut, isolate, resolvePeers } from '../../lab/faults/networkFaults';
import { killTarget, pause, resume } from '../../lab/faults/processFaults';
import { heal } from '../../lab/faults/heal';
import { runCli } from './runCli';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { loadClusterConfig } from '../../common/config/loadClusterConfig';
import { TransportSecurity } from '../../common/tls/TransportSecurity';

const run = promisify(execFile);

export interface TestLabOptions {
  hosts?: number;
  /** Top-level cluster-config fields replacing deploy/local/cluster.json's. */
  configOverrides?: Record<string, unknown>;
  /** Start the control planes and the dashboard (they place the cluster). */
  cluster?: boolean;
}

/** A /24 of 10.128-227.x derived from the prefix: two labs never share one, and none is the default 10.77.0.0/24. */
function subnetOf(prefix: string): string {
  let h = 0;
  for (const c of prefix) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `10.${128 + (h % 100)}.${(h >>> 8) % 256}.0/24`;
}

/**
 * A lab for one suite: `before` builds it with a unique prefix, subnet and run dir
 * (test-output/lab/<prefix>), `after` removes it even when a test failed (keeping the run dir,
 * with the logs, when one did). Where the kernel
 * refuses network namespaces (not root, not Linux), `before` fails with the reason.
 */
export function useLab(opts: TestLabOptions = {}) {
  const prefix = `sl${randomBytes(3).toString('hex').slice(0, 4)}`;
  const runDir = join(REPO_ROOT, 'test-output', 'lab', prefix);
  let layout: LabLayout | undefined;
  let credentials: ChannelCredentials | undefined;
  const lab = {
    prefix,
    runDir,
    get layout(): LabLayout {
      if (!layout) throw new Error('the lab is not up (its before hook failed)');
      return layout;
    },
    host: (name: string) => findHost(lab.layout, name),
    /** gRPC credentials with the operator's certificate: the lab runs with mutual TLS. */
    get credentials(): ChannelCredentials {
      credentials ??= TransportSecurity.of(loadClusterConfig(lab.layout.clusterConfig, {}).tls, 'operator').channel();
      return credentials;
    },
    isolate: (host: string) => isolate(lab.layout, host),
    cut: (host: string, from: string, oneWay = false) => cut(lab.layout, host, resolvePeers(lab.layout, host, from), oneWay),
    pause: (host: string) => pause(lab.layout, host),
    resume: (host: string) => resume(lab.layout, host),
    heal: () => heal(lab.layout),
    kill: (target: string) => killTarget(lab.layout, target),
    /** Runs a Node script inside a host's namespace; resolves with its exit code and output. */
    async inHost(host: string, script: string, timeoutMs = 10_000): Promise<{ code: number; stdout: string }> {
      try {
        const { stdout } = await run('ip', ['netns', 'exec', lab.host(host).namespace, process.execPath, '-e', script], {
          timeout: timeoutMs,
          encoding: 'utf8',
        });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code?: number; stdout?: string };
        return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
      }
    },
    /**
     * Runs `shoal ARGS…` inside a host's namespace as `shoal lab env` tells an operator to: with the
     * lab's cluster config (the Consul servers as fallbacks) and that host's agent (CONSUL_HTTP_ADDR).
     * Without the fallbacks, a CI run found the host's client agent still pinned to a server the
     * partition had cut off, answering nothing for longer than the CLI waits.
     */
    cliIn: (host: string, args: string[], timeoutMs = 60_000) =>
      runCli([...args, '--config', lab.layout.clusterConfig], { CONSUL_HTTP_ADDR: lab.host(host).consulHttp }, timeoutMs, lab.host(host).namespace),
    /** Whether `from` gets an HTTP answer from `to`'s host agent within a second. */
    async reaches(from: string, to: string): Promise<boolean> {
      const url = `http://${lab.host(to).agent}/v1/processes`;
      const { code } = await lab.inHost(
        from,
        `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(3))`,
      );
      return code === 0;
    },
  };
  before(async function () {
    this.timeout(120_000);
    layout = await upLab({
      hosts: opts.hosts ?? 3,
      prefix,
      subnet: subnetOf(prefix),
      runDir,
      configOverrides: opts.configOverrides,
      controlPlanes: opts.cluster === true,
      dashboardPort: opts.cluster === true ? await freePort() : 0,
    });
  });
  after(async function () {
    this.timeout(30_000);
    // A suite with a failure keeps its run dir: the hosts' logs say what happened.
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await downLab(prefix, runDir, { keepRunDir: failed });
    if (failed) console.log(`    lab logs kept in ${runDir}`);
  });
  return lab;
}
